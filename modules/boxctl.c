/* SPDX-License-Identifier: MIT */
/*
 * boxctl: the control client (the same binary as boxinit, by argv[0] or
 * "boxinit ctl"). It sends one request over the control socket and prints
 * the reply; "log" reads the service's log file itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: boxctl [--socket PATH] [--json] VERB [NAME]\n"
		"  status [NAME]           table of services (or one); --json for JSON\n"
		"  start|stop|restart NAME act on a service\n"
		"  log NAME [-n N] [-f]    last N lines (default 50) of its log; -f follows\n"
		"  reload                  re-read the configuration\n"
		"  reboot|poweroff|halt    orderly shutdown\n"
		"Exit: 0 ok, 1 error, 3 not found or not running.\n");
}

/*
 * Send @req; the reply body goes to @body (NULL: stdout), its message to
 * @msg. Returns the reply code, or -errno when the socket failed.
 */
static int ask(const char *path, const char *req, char *body, size_t blen,
	       char *msg, size_t mlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	char pkt[CONTROL_PKT_MAX + 1];
	_cleanup_fd_ int fd = -1;
	size_t used = 0;
	ssize_t n;
	char *tab;
	int code;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* a refusal may arrive before we even sent: read the reply anyway */
	(void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
	n = recv(fd, pkt, sizeof(pkt) - 1, 0);
	if (n <= 0)
		return n < 0 ? -errno : -ECONNRESET;
	pkt[n] = '\0';
	code = atoi(pkt);
	tab = strchr(pkt, '\t');
	snprintf(msg, mlen, "%s", tab ? tab + 1 : "");
	if (body)
		body[0] = '\0';
	while ((n = recv(fd, pkt, sizeof(pkt) - 1, 0)) > 0) {
		if (!body) {
			(void)!fwrite(pkt, 1, (size_t)n, stdout);
		} else if (used + (size_t)n < blen) {
			memcpy(body + used, pkt, (size_t)n);
			used += (size_t)n;
			body[used] = '\0';
		}
	}
	return code;
}

/* Print the last @lines lines of @path.1 + @path; with @follow, keep going. */
static int show_log(const char *path, long lines, bool follow)
{
	char old[512], *buf = NULL, *p;
	size_t len = 0;
	long seen = 0;
	struct stat st;
	ino_t ino = 0;
	off_t off = 0;

	if (snprintf(old, sizeof(old), "%s.1", path) >= (int)sizeof(old))
		return 1;
	for (int i = 0; i < 2; i++) {
		const char *f = i ? path : old;
		_cleanup_fd_ int fd = open(f, O_RDONLY | O_CLOEXEC);
		char chunk[4096];
		ssize_t n;

		if (fd < 0)
			continue;
		while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
			char *nb = realloc(buf, len + (size_t)n + 1);

			if (!nb) {
				free(buf);
				return 1;
			}
			buf = nb;
			memcpy(buf + len, chunk, (size_t)n);
			len += (size_t)n;
			buf[len] = '\0';
		}
		if (i && fstat(fd, &st) == 0) {
			ino = st.st_ino;
			off = lseek(fd, 0, SEEK_CUR);   /* what we printed, no more */
		}
	}
	/* the start of the last @lines lines (a final '\n' ends the last one) */
	p = buf ? buf + len : NULL;
	if (p && p > buf && p[-1] == '\n')
		p--;
	while (p && p > buf && lines > 0) {
		if (p[-1] == '\n' && ++seen == lines)
			break;
		p--;
	}
	if (lines == 0)
		p = buf ? buf + len : NULL;
	if (buf)
		fputs(p, stdout);
	free(buf);
	fflush(stdout);
	while (follow) {
		struct timespec ts = { .tv_nsec = 250000000L };
		_cleanup_fd_ int fd = -1;
		char chunk[4096];
		ssize_t n;

		nanosleep(&ts, NULL);
		if (stat(path, &st) < 0)
			continue;
		if (st.st_ino != ino) {         /* rotated: finish the old one */
			_cleanup_fd_ int ofd = open(old, O_RDONLY | O_CLOEXEC);
			struct stat ost;

			if (ofd >= 0 && fstat(ofd, &ost) == 0 && ost.st_ino == ino &&
			    lseek(ofd, off, SEEK_SET) >= 0)
				while ((n = read(ofd, chunk, sizeof(chunk))) > 0)
					(void)!fwrite(chunk, 1, (size_t)n, stdout);
			ino = st.st_ino;
			off = 0;
		}
		if (st.st_size <= off)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || lseek(fd, off, SEEK_SET) < 0)
			continue;
		while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
			(void)!fwrite(chunk, 1, (size_t)n, stdout);
			off += n;
		}
		fflush(stdout);
	}
	return 0;
}

int boxctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json",   no_argument,       NULL, 'j' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONTROL_DEFAULT_PATH, *verb, *name;
	char req[CONTROL_REQ_MAX + 1], msg[CONTROL_REQ_MAX], body[512];
	bool json = false, follow = false;
	long lines = 50;
	int opt, code;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:jhn:f", opts, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'j': json = true; break;
		case 'n': {
			char *end;

			lines = strtol(optarg, &end, 10);
			if (*end || lines < 0) {
				fprintf(stderr, "boxctl: -n %s: expected a number of lines\n", optarg);
				return 1;
			}
			break;
		}
		case 'f': follow = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	verb = argv[optind];
	name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (optind + 2 < argc || (name && strlen(name) > CONF_NAME_MAX)) {
		fprintf(stderr, "boxctl: %s: too many or too long arguments\n", verb);
		return 1;
	}
	if (!strcmp(verb, "log")) {
		if (!name) {
			fprintf(stderr, "boxctl: log: which service?\n");
			return 1;
		}
		snprintf(req, sizeof(req), "logpath %s", name);
		code = ask(path, req, body, sizeof(body), msg, sizeof(msg));
	} else {
		snprintf(req, sizeof(req), "%s%s%s%s", json ? "json " : "", verb,
			 name ? " " : "", name ? name : "");
		code = ask(path, req, NULL, 0, msg, sizeof(msg));
	}
	if (code < 0) {
		fprintf(stderr, "boxctl: %s: %s%s\n", path, strerror(-code),
			code == -ENOENT || code == -ECONNREFUSED ? " (is boxinit running?)" : "");
		return 1;
	}
	if (code != CTL_OK) {
		fprintf(stderr, "boxctl: %s\n", msg);
		return code == CTL_NOT_FOUND ? 3 : 1;
	}
	if (!strcmp(verb, "log"))
		return show_log(body, lines, follow);
	if (msg[0] && strcmp(verb, "status"))
		printf("%s\n", msg);
	return 0;
}

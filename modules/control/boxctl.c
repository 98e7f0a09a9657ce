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
#include "control_priv.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: boxctl [--socket PATH] [--json] VERB [NAME]\n"
		"  status [NAME]           table of services (or one); --json for JSON\n"
		"  start|stop|restart NAME act on a service\n"
		"  log NAME [-n N] [-f]    last N lines (default 50) of its log; -f follows\n"
		"  events [-f]             the last 256 state transitions; -f follows\n"
		"  top [--once]            live view (CPU, memory, processes); q quits\n"
		"  boot [--svg FILE]       this boot's timeline, critical path marked;\n"
		"                          --svg: as a Gantt chart\n"
		"  reload                  re-read the configuration\n"
		"  reboot|poweroff|halt    orderly shutdown\n"
		"Exit: 0 ok, 1 error, 3 not found or not running.\n");
}

/*
 * Send @req; the reply body goes to @body (NULL: stdout), its message to
 * @msg. Returns the reply code, or -errno when the socket failed.
 */
int boxctl_ask(const char *path, const char *req, char *body, size_t blen,
	       char *msg, size_t mlen, bool stream)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = stream ? 0 : 10 };
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
			if (stream)
				fflush(stdout);
		} else if (used + (size_t)n < blen) {
			memcpy(body + used, pkt, (size_t)n);
			used += (size_t)n;
			body[used] = '\0';
		}
	}
	return code;
}

/* @path.1 then @path, read whole into a malloc'd buffer (*@len bytes);
 * where @path's reading stopped (its inode, offset) for a follower. */
static char *read_logs(const char *path, const char *old, size_t *len, ino_t *ino,
		       off_t *off)
{
	char *buf = NULL;
	struct stat st;

	*len = 0;
	for (int i = 0; i < 2; i++) {
		_cleanup_fd_ int fd = open(i ? path : old, O_RDONLY | O_CLOEXEC);
		char chunk[4096];
		ssize_t n;

		if (fd < 0)
			continue;
		while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
			char *nb = realloc(buf, *len + (size_t)n + 1);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			memcpy(buf + *len, chunk, (size_t)n);
			*len += (size_t)n;
			buf[*len] = '\0';
		}
		if (i && fstat(fd, &st) == 0) {
			*ino = st.st_ino;
			*off = lseek(fd, 0, SEEK_CUR);  /* what we printed, no more */
		}
	}
	return buf;
}

/* The last @lines lines of @buf (a final '\n' ends the last one). */
static void print_tail(const char *buf, size_t len, long lines)
{
	const char *p = buf + len;
	long seen = 0;

	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && lines > 0) {
		if (p[-1] == '\n' && ++seen == lines)
			break;
		p--;
	}
	fputs(lines == 0 ? buf + len : p, stdout);
}

/* Copy what @fd holds from @off on to stdout; returns the new offset. */
static off_t copy_from(int fd, off_t off)
{
	char chunk[4096];
	ssize_t n;

	if (fd < 0 || lseek(fd, off, SEEK_SET) < 0)
		return off;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		(void)!fwrite(chunk, 1, (size_t)n, stdout);
		off += n;
	}
	return off;
}

/* tail -f of @path (inode @ino read up to @off), across its rotation to
 * @old, until killed. */
static void __attribute__((noreturn)) follow_log(const char *path, const char *old,
						 ino_t ino, off_t off)
{
	for (;;) {
		struct timespec ts = { .tv_nsec = 250000000L };
		struct stat st, ost;

		nanosleep(&ts, NULL);
		if (stat(path, &st) < 0)
			continue;
		if (st.st_ino != ino) {         /* rotated: finish the old one */
			_cleanup_fd_ int ofd = open(old, O_RDONLY | O_CLOEXEC);

			if (ofd >= 0 && fstat(ofd, &ost) == 0 && ost.st_ino == ino)
				copy_from(ofd, off);
			ino = st.st_ino;
			off = 0;
		}
		if (st.st_size > off) {
			_cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);

			off = copy_from(fd, off);
		}
		fflush(stdout);
	}
}

/* Print the last @lines lines of @path.1 + @path; with @follow, keep going. */
static int show_log(const char *path, long lines, bool follow)
{
	char old[512], *buf;
	size_t len;
	ino_t ino = 0;
	off_t off = 0;

	if (snprintf(old, sizeof(old), "%s.1", path) >= (int)sizeof(old))
		return 1;
	buf = read_logs(path, old, &len, &ino, &off);
	if (buf)
		print_tail(buf, len, lines);
	free(buf);
	fflush(stdout);
	if (follow)
		follow_log(path, old, ino, off);
	return 0;
}

struct args {
	const char *path, *verb, *name, *svg;
	bool json, follow, once;
	long lines;
};

/* boxctl's options and words into @a. Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json",   no_argument,       NULL, 'j' },
		{ "svg",    required_argument, NULL, 'S' },
		{ "once",   no_argument,       NULL, 'o' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int opt;

	*a = (struct args){ .path = CONTROL_DEFAULT_PATH, .lines = 50 };
	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:jhn:f", opts, NULL)) != -1) {
		switch (opt) {
		case 's': a->path = optarg; break;
		case 'j': a->json = true; break;
		case 'S': a->svg = optarg; break;
		case 'o': a->once = true; break;
		case 'n':
			a->lines = strtol(optarg, &end, 10);
			if (*end || a->lines < 0) {
				fprintf(stderr, "boxctl: -n %s: expected a number of lines\n", optarg);
				return 1;
			}
			break;
		case 'f': a->follow = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	a->verb = argv[optind];
	a->name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (optind + 2 < argc || (a->name && strlen(a->name) > CONF_NAME_MAX)) {
		fprintf(stderr, "boxctl: %s: too many or too long arguments\n", a->verb);
		return 1;
	}
	return -1;
}

int boxctl_main(int argc, char **argv)
{
	char req[CONTROL_REQ_MAX + 1], msg[CONTROL_REQ_MAX], body[512];
	struct args a;
	const char *path, *verb, *name;
	bool json;
	int code;

	if ((code = parse_args(argc, argv, &a)) >= 0)
		return code;
	path = a.path;
	verb = a.verb;
	name = a.name;
	json = a.json;
	if (!strcmp(verb, "top") && !name)
		return boxctl_top(path, a.once);
	if (!strcmp(verb, "boot") && !name)
		return boxctl_boot(path, json, a.svg);
	if (!strcmp(verb, "log")) {
		if (!name) {
			fprintf(stderr, "boxctl: log: which service?\n");
			return 1;
		}
		snprintf(req, sizeof(req), "logpath %s", name);
		code = boxctl_ask(path, req, body, sizeof(body), msg, sizeof(msg), false);
	} else if (!strcmp(verb, "events") && a.follow) {
		/* the events so far, then each one as it comes, until killed */
		snprintf(req, sizeof(req), "%sfollow%s%s", json ? "json " : "",
			 name ? " " : "", name ? name : "");
		code = boxctl_ask(path, req, NULL, 0, msg, sizeof(msg), true);
	} else {
		snprintf(req, sizeof(req), "%s%s%s%s", json ? "json " : "", verb,
			 name ? " " : "", name ? name : "");
		code = boxctl_ask(path, req, NULL, 0, msg, sizeof(msg), false);
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
		return show_log(body, a.lines, a.follow);
	if (msg[0] && strcmp(verb, "status") && strcmp(verb, "events"))
		printf("%s\n", msg);
	return 0;
}

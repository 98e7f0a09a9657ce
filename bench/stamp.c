/* stamp: the benchmark service. Prints CLOCK_MONOTONIC (ns) as the first
 * thing main() does and again just before it exits, one line each:
 *   STAMP start <ns>        STAMP exit <ns>
 * Static musl (no dynamic loader), write(2) only.
 *   stamp              print start, exit 0
 *   stamp pause        print start, sleep forever (a service that stays up)
 *   stamp once FILE    print start; if FILE is missing create it, print exit,
 *                      exit 1 (so the supervisor restarts it); else sleep forever
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void put(const char *what, struct timespec *t)
{
	char buf[64], num[24];
	unsigned long long ns = (unsigned long long)t->tv_sec * 1000000000ULL + t->tv_nsec;
	int n = 0, k = 0;

	do num[k++] = '0' + ns % 10; while ((ns /= 10));
	n = strlen(strcpy(buf, "STAMP "));
	n += strlen(strcpy(buf + n, what));
	buf[n++] = ' ';
	while (k) buf[n++] = num[--k];
	buf[n++] = '\n';
	(void)!write(1, buf, n);
}

int main(int argc, char **argv)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	put("start", &t);
	if (argc > 1 && !strcmp(argv[1], "pause"))
		for (;;) pause();
	if (argc > 2 && !strcmp(argv[1], "once")) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			for (;;) pause();
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &t);
		put("exit", &t);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	put("exit", &t);
	return 0;
}

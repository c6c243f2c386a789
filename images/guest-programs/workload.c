// SPDX-License-Identifier: Apache-2.0
/*
 * bootgate-workload: a small in-guest benchmark of the operations a kernel agent
 * typically sits in the path of. Built on the host, statically, so it runs in the
 * busybox initramfs guest as well as on full Debian guests:
 *
 *   gcc -O2 -static -pthread -o bootgate-workload workload.c
 *
 *   bootgate-workload [--iterations N] [--batches B] [--dir DIR] [--exec-path PATH] NAME...
 *
 * NAME is one of:
 *   exec   fork + execve of --exec-path (default /bin/true; argv[0] is its base name, so a
 *          busybox symlink runs the `true` applet) and waitpid
 *   open   open + close of an existing file in DIR
 *   fsync  write 4 KiB at offset 0 + fsync, of a file in DIR
 *   tcp    loopback TCP: connect to a server thread on 127.0.0.1, send 1 byte, read the echo,
 *          close (SO_LINGER 0: a reset, so thousands of connections leave no TIME_WAIT behind)
 *
 * Output is TAP version 14 on stdout, one test point per NAME, in order. Each point carries
 * a YAML block with the time per operation of each batch (B batches of N operations, after
 * an untimed warm-up), in nanoseconds:
 *
 *   TAP version 14
 *   1..1
 *   ok 1 - exec
 *     ---
 *     iterations: 200
 *     batches: 10
 *     samples_ns_per_op: [412345.5, 409876.0, ...]
 *     median_ns_per_op: 410000.2
 *     ...
 *
 * A workload that cannot run is `not ok` with a `message:` in its block; the others still
 * run. Exit status: 0 all ok, 1 some not ok, 2 usage error (then `Bail out!`).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_BATCHES 1000
#define WARMUP_MAX 20

struct opts {
	long iterations;
	long batches;
	const char *dir;
	const char *exec_path;
};

/* A workload: setup (may fail with a message), one operation, teardown. */
struct workload {
	const char *name;
	int (*setup)(const struct opts *o, void **st, char *err, size_t errlen);
	int (*op)(void *st, char *err, size_t errlen);
	void (*teardown)(void *st);
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ------------------------------------------------------------------ exec */

struct exec_state {
	const char *path;
	char *argv[2];
};

static int exec_setup(const struct opts *o, void **st, char *err, size_t errlen)
{
	struct exec_state *s = calloc(1, sizeof(*s));
	const char *base;

	if (!s) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	if (access(o->exec_path, X_OK)) {
		errf(err, errlen, "cannot execute %s: %s (choose another with --exec-path)", o->exec_path, strerror(errno));
		free(s);
		return -1;
	}
	base = strrchr(o->exec_path, '/');
	s->path = o->exec_path;
	s->argv[0] = (char *)(base ? base + 1 : o->exec_path);
	s->argv[1] = NULL;
	*st = s;
	return 0;
}

static int exec_op(void *st, char *err, size_t errlen)
{
	struct exec_state *s = st;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		errf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execve(s->path, s->argv, environ);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			errf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			errf(err, errlen, "execve %s failed in the child (exit 127)", s->path);
		else if (WIFEXITED(status))
			errf(err, errlen, "%s exited %d", s->path, WEXITSTATUS(status));
		else
			errf(err, errlen, "%s was killed by signal %d", s->path, WTERMSIG(status));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ open, fsync */

struct file_state {
	char path[4096];
	int fd;
	char buf[4096];
};

static int file_setup(const struct opts *o, void **st, const char *what, char *err, size_t errlen)
{
	struct file_state *s = calloc(1, sizeof(*s));

	if (!s) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s/bootgate-workload-%s.%ld", o->dir, what, (long)getpid());
	s->fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		errf(err, errlen, "cannot create %s: %s (choose another with --dir)", s->path, strerror(errno));
		free(s);
		return -1;
	}
	memset(s->buf, 'b', sizeof(s->buf));
	if (write(s->fd, s->buf, sizeof(s->buf)) != (ssize_t)sizeof(s->buf)) {
		errf(err, errlen, "cannot write %s: %s", s->path, strerror(errno));
		close(s->fd);
		unlink(s->path);
		free(s);
		return -1;
	}
	*st = s;
	return 0;
}

static void file_teardown(void *st)
{
	struct file_state *s = st;

	if (s->fd >= 0)
		close(s->fd);
	unlink(s->path);
	free(s);
}

static int open_setup(const struct opts *o, void **st, char *err, size_t errlen)
{
	return file_setup(o, st, "open", err, errlen);
}

static int open_op(void *st, char *err, size_t errlen)
{
	struct file_state *s = st;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		errf(err, errlen, "open %s: %s", s->path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int fsync_setup(const struct opts *o, void **st, char *err, size_t errlen)
{
	return file_setup(o, st, "fsync", err, errlen);
}

static int fsync_op(void *st, char *err, size_t errlen)
{
	struct file_state *s = st;

	if (pwrite(s->fd, s->buf, sizeof(s->buf), 0) != (ssize_t)sizeof(s->buf)) {
		errf(err, errlen, "write %s: %s", s->path, strerror(errno));
		return -1;
	}
	if (fsync(s->fd)) {
		errf(err, errlen, "fsync %s: %s", s->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------- tcp */

struct tcp_state {
	int listen_fd;
	struct sockaddr_in addr;
	pthread_t server;
	int server_started;
};

/* Echo one byte per connection until the listening socket is shut down. */
static void *tcp_server(void *arg)
{
	struct tcp_state *s = arg;

	for (;;) {
		char c;
		ssize_t n;
		int fd = accept(s->listen_fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL; /* shut down */
		}
		n = read(fd, &c, 1);
		if (n == 1)
			(void)!write(fd, &c, 1);
		/* Wait for the client's close, so it (not the server) ends the connection. */
		while (read(fd, &c, 1) > 0)
			;
		close(fd);
	}
}

static int tcp_setup(const struct opts *o, void **st, char *err, size_t errlen)
{
	struct tcp_state *s = calloc(1, sizeof(*s));
	socklen_t len = sizeof(struct sockaddr_in);
	int one = 1;

	(void)o;
	if (!s) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0) {
		errf(err, errlen, "socket: %s", strerror(errno));
		free(s);
		return -1;
	}
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->addr.sin_port = 0;
	if (bind(s->listen_fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) ||
	    getsockname(s->listen_fd, (struct sockaddr *)&s->addr, &len) ||
	    listen(s->listen_fd, 128)) {
		errf(err, errlen, "cannot listen on 127.0.0.1: %s (is the loopback interface up?)", strerror(errno));
		close(s->listen_fd);
		free(s);
		return -1;
	}
	if (pthread_create(&s->server, NULL, tcp_server, s)) {
		errf(err, errlen, "cannot start the server thread");
		close(s->listen_fd);
		free(s);
		return -1;
	}
	s->server_started = 1;
	*st = s;
	return 0;
}

static int tcp_op(void *st, char *err, size_t errlen)
{
	struct tcp_state *s = st;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int one = 1;
	char c = 'b';
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		errf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&s->addr, sizeof(s->addr))) {
		errf(err, errlen, "connect 127.0.0.1:%u: %s", ntohs(s->addr.sin_port), strerror(errno));
		close(fd);
		return -1;
	}
	if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
		errf(err, errlen, "1-byte round trip over 127.0.0.1:%u failed: %s", ntohs(s->addr.sin_port),
		     errno ? strerror(errno) : "connection closed");
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return 0;
}

static void tcp_teardown(void *st)
{
	struct tcp_state *s = st;

	if (s->server_started) {
		/* Wakes the accept() of the server thread with an error. */
		shutdown(s->listen_fd, SHUT_RDWR);
		pthread_join(s->server, NULL);
	}
	close(s->listen_fd);
	free(s);
}

/* ------------------------------------------------------------------ main */

static const struct workload workloads[] = {
	{ "exec", exec_setup, exec_op, free },
	{ "open", open_setup, open_op, file_teardown },
	{ "fsync", fsync_setup, fsync_op, file_teardown },
	{ "tcp", tcp_setup, tcp_op, tcp_teardown },
};
#define NR_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static const struct workload *find_workload(const char *name)
{
	size_t i;

	for (i = 0; i < NR_WORKLOADS; i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

/* A YAML double-quoted scalar. */
static void print_yaml_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 0x20)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Run one workload and print its test point; 0 when ok. */
static int run_one(const struct opts *o, int n, const char *name)
{
	const struct workload *w = find_workload(name);
	static double samples[MAX_BATCHES], sorted[MAX_BATCHES];
	char err[512] = "";
	void *st = NULL;
	long b, i, warm;
	double med;

	if (!w) {
		snprintf(err, sizeof(err), "unknown workload (known: exec, open, fsync, tcp)");
		goto fail;
	}
	if (w->setup(o, &st, err, sizeof(err)))
		goto fail;
	warm = o->iterations < WARMUP_MAX ? o->iterations : WARMUP_MAX;
	for (i = 0; i < warm; i++)
		if (w->op(st, err, sizeof(err)))
			goto fail_teardown;
	for (b = 0; b < o->batches; b++) {
		double t0 = now_ns();

		for (i = 0; i < o->iterations; i++)
			if (w->op(st, err, sizeof(err)))
				goto fail_teardown;
		samples[b] = (now_ns() - t0) / (double)o->iterations;
	}
	w->teardown(st);

	memcpy(sorted, samples, sizeof(double) * o->batches);
	qsort(sorted, o->batches, sizeof(double), cmp_double);
	med = o->batches % 2 ? sorted[o->batches / 2] : (sorted[o->batches / 2 - 1] + sorted[o->batches / 2]) / 2;
	printf("ok %d - %s\n", n, name);
	printf("  ---\n");
	printf("  iterations: %ld\n", o->iterations);
	printf("  batches: %ld\n", o->batches);
	printf("  samples_ns_per_op: [");
	for (b = 0; b < o->batches; b++)
		printf("%s%.1f", b ? ", " : "", samples[b]);
	printf("]\n");
	printf("  median_ns_per_op: %.1f\n", med);
	printf("  ...\n");
	fflush(stdout);
	return 0;

fail_teardown:
	w->teardown(st);
fail:
	printf("not ok %d - %s\n", n, name);
	printf("  ---\n");
	printf("  message: ");
	print_yaml_string(err);
	printf("\n  ...\n");
	fflush(stdout);
	return 1;
}

#define USAGE \
	"usage: bootgate-workload [--iterations N] [--batches B] [--dir DIR] [--exec-path PATH] NAME...\n" \
	"NAME: exec, open, fsync, tcp (each one TAP test point with ns per operation for each batch)\n"

static int usage(const char *why)
{
	printf("TAP version 14\nBail out! usage: %s\n", why);
	fprintf(stderr, "bootgate-workload: %s\n%s", why, USAGE);
	return 2;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .iterations = 200, .batches = 10, .dir = "/tmp", .exec_path = "/bin/true" };
	const char *names[64];
	int nr = 0, i, failed = 0;
	char why[256];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--iterations") || !strcmp(a, "--batches") || !strcmp(a, "--dir") || !strcmp(a, "--exec-path")) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;

			if (!v) {
				snprintf(why, sizeof(why), "%s needs a value", a);
				return usage(why);
			}
			if (!strcmp(a, "--iterations") && parse_long(v, 1, 100000000, &o.iterations)) {
				snprintf(why, sizeof(why), "--iterations takes a whole number >= 1, not %s", v);
				return usage(why);
			}
			if (!strcmp(a, "--batches") && parse_long(v, 1, MAX_BATCHES, &o.batches)) {
				snprintf(why, sizeof(why), "--batches takes a whole number from 1 to %d, not %s", MAX_BATCHES, v);
				return usage(why);
			}
			if (!strcmp(a, "--dir"))
				o.dir = v;
			if (!strcmp(a, "--exec-path"))
				o.exec_path = v;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(USAGE, stdout);
			return 0;
		} else if (a[0] == '-' && a[1]) {
			snprintf(why, sizeof(why), "unknown option %s", a);
			return usage(why);
		} else {
			if (nr == (int)(sizeof(names) / sizeof(names[0])))
				return usage("too many workloads");
			names[nr++] = a;
		}
	}
	if (!nr)
		return usage("name at least one workload");
	for (i = 0; i < nr; i++) {
		if (!find_workload(names[i])) {
			snprintf(why, sizeof(why), "unknown workload %.64s (known: exec, open, fsync, tcp)", names[i]);
			return usage(why);
		}
	}

	/* Line-buffered would be enough; full buffering plus fflush keeps a forked child from repeating output. */
	printf("TAP version 14\n1..%d\n", nr);
	printf("# bootgate-workload iterations=%ld batches=%ld dir=%s exec-path=%s\n", o.iterations, o.batches, o.dir, o.exec_path);
	fflush(stdout);
	for (i = 0; i < nr; i++)
		failed |= run_one(&o, i + 1, names[i]);
	return failed ? 1 : 0;
}

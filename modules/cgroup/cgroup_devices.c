/* SPDX-License-Identifier: MIT */
/* cgroup_devices: a service's device allowlist, v1 controller or v2 BPF
 * program. See cgroup_devices.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "util.h"

#define C BPF_DEVCG_DEV_CHAR
#define RWM (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

/* What container_mount.c gives every container's /dev (mknod included,
 * as runc and crun allow it for these). */
static const struct cgdev_rule fixed[CGDEV_FIXED] = {
	{ C, 1, 1, 3, RWM, NULL },              /* null */
	{ C, 1, 1, 5, RWM, NULL },              /* zero */
	{ C, 1, 1, 7, RWM, NULL },              /* full */
	{ C, 1, 1, 8, RWM, NULL },              /* random */
	{ C, 1, 1, 9, RWM, NULL },              /* urandom */
	{ C, 5, 5, 0, RWM, NULL },              /* tty */
	{ C, 5, 5, 2, RWM, NULL },              /* ptmx (devpts' pts/ptmx) */
	{ C, 136, 143, CGDEV_ANY, RWM, NULL },  /* Unix98 pty slaves */
};

int cgdev_rules(const struct svc_conf *c, struct cgdev_rule **out)
{
	struct cgdev_rule *r = calloc(CGDEV_FIXED + c->nbinds, sizeof(*r));
	size_t n = CGDEV_FIXED;
	struct stat st;

	if (!r)
		return -ENOMEM;
	memcpy(r, fixed, sizeof(fixed));
	for (size_t i = 0; i < c->nbinds; i++) {
		const struct conf_bind *b = &c->binds[i];

		if (stat(b->src, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			continue;
		r[n] = (struct cgdev_rule){
			.type = S_ISCHR(st.st_mode) ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK,
			.major_lo = major(st.st_rdev), .major_hi = major(st.st_rdev),
			.minor = minor(st.st_rdev), .src = b->src,
			/* a read-only mount does not stop writes to a device:
			 * ":ro" is enforced here */
			.access = BPF_DEVCG_ACC_READ | (b->ro ? 0 : BPF_DEVCG_ACC_WRITE),
		};
		n++;
	}
	*out = r;
	return (int)n;
}

/* ---- cgroup v2: the eBPF program ------------------------------------- */

static struct bpf_insn ins(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
				  .off = off, .imm = imm };
}

#define JMP_K(op, dst, imm) ins(BPF_JMP | (op) | BPF_K, (dst), 0, 0, (int32_t)(imm))

/*
 * One rule: each test jumps past the block on a mismatch (r3 type, r2
 * access, r4 major, r5 minor); a match returns 1. Returns the length.
 */
static size_t emit_rule(const struct cgdev_rule *r, struct bpf_insn *p)
{
	size_t k = 0;

	p[k++] = JMP_K(BPF_JNE, 3, r->type);
	if (r->major_lo == r->major_hi) {
		p[k++] = JMP_K(BPF_JNE, 4, r->major_lo);
	} else {
		p[k++] = JMP_K(BPF_JLT, 4, r->major_lo);
		p[k++] = JMP_K(BPF_JGT, 4, r->major_hi);
	}
	if (r->minor != CGDEV_ANY)
		p[k++] = JMP_K(BPF_JNE, 5, r->minor);
	if ((~r->access & RWM) != 0)        /* an access bit not granted */
		p[k++] = JMP_K(BPF_JSET, 2, ~r->access & RWM);
	p[k++] = ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
	p[k++] = ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	/* every jump (all but the last two) lands just after the block */
	for (size_t j = 0; j + 2 < k; j++)
		p[j].off = (int16_t)(k - j - 1);
	return k;
}

size_t cgdev_program(const struct cgdev_rule *r, size_t n, struct bpf_insn *insn)
{
	size_t k = 0;

	/* r2 = access (high 16 bits), r3 = type (low 16), r4 major, r5 minor */
	insn[k++] = ins(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
	insn[k++] = ins(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
	insn[k++] = ins(BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
	insn[k++] = ins(BPF_ALU64 | BPF_RSH | BPF_K, 2, 0, 0, 16);
	insn[k++] = ins(BPF_LDX | BPF_MEM | BPF_W, 4, 1,
			offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	insn[k++] = ins(BPF_LDX | BPF_MEM | BPF_W, 5, 1,
			offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	for (size_t i = 0; i < n; i++)
		k += emit_rule(&r[i], insn + k);
	insn[k++] = ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	insn[k++] = ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return k;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/*
 * The programs loaded, by their instructions: services with the same
 * policy share one, and a restart loads none (the verifier and the JIT,
 * the dear part of a start under emulation, ran once). A few policies
 * are kept; an older one is let go (close: a cgroup it is attached to
 * keeps it). fd + 1: 0 is an empty slot.
 */
#define PROGS_KEPT 8u

static struct {
	struct bpf_insn *insn;
	uint32_t n;
	int fd1;
} progs[PROGS_KEPT];
static unsigned progs_next;

/* The program of @n instructions @insn: kept (*@kept), or loaded now.
 * Returns its fd or -errno. */
static int prog_for(const struct bpf_insn *insn, uint32_t n, bool *kept)
{
	union bpf_attr a;
	unsigned k;
	int fd;

	for (k = 0; k < PROGS_KEPT; k++)
		if (progs[k].fd1 && progs[k].n == n &&
		    !memcmp(progs[k].insn, insn, n * sizeof(*insn))) {
			*kept = true;
			return progs[k].fd1 - 1;
		}
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insn_cnt = n;
	a.insns = (uint64_t)(uintptr_t)insn;
	a.license = (uint64_t)(uintptr_t)"MIT";     /* no GPL-only helper used */
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		return -errno;
	k = progs_next++ % PROGS_KEPT;
	*kept = false;
	if (progs[k].fd1) {
		close(progs[k].fd1 - 1);
		free(progs[k].insn);
		progs[k].fd1 = 0;
	}
	progs[k].insn = malloc(n * sizeof(*insn));
	if (progs[k].insn) {            /* else used once, not kept */
		memcpy(progs[k].insn, insn, n * sizeof(*insn));
		progs[k].n = n;
		progs[k].fd1 = fd + 1;
		*kept = true;
	}
	return fd;
}

int cgdev_bpf_attach(const char *dir, const struct cgdev_rule *r, size_t n)
{
	_cleanup_free_ struct bpf_insn *insn = calloc(CGDEV_MAX_INSNS(n), sizeof(*insn));
	_cleanup_fd_ int cg = -1;
	union bpf_attr a;
	bool kept = false;
	int prog, e = 0;

	if (!insn)
		return -ENOMEM;
	prog = prog_for(insn, (uint32_t)cgdev_program(r, n, insn), &kept);
	if (prog < 0)
		return prog;
	cg = cg_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		e = -errno;
	} else {
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cg;
		a.attach_bpf_fd = (uint32_t)prog;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
			e = -errno;
	}
	if (!kept)
		close(prog);
	return e;
}

/* ---- cgroup v1: the devices controller ------------------------------- */

/* One devices.allow line per major of @r ("c 136:* rwm", no newline),
 * the @k-th of them into @line (64 bytes). Returns false past the last. */
static bool v1_line(const struct cgdev_rule *r, uint32_t k, char *line)
{
	char mi[16];

	if (k > r->major_hi - r->major_lo)
		return false;
	if (r->minor == CGDEV_ANY)
		snprintf(mi, sizeof(mi), "*");
	else
		snprintf(mi, sizeof(mi), "%u", r->minor);
	snprintf(line, 64, "%c %u:%s %s%s%s", r->type == BPF_DEVCG_DEV_CHAR ? 'c' : 'b',
		 r->major_lo + k, mi, r->access & BPF_DEVCG_ACC_READ ? "r" : "",
		 r->access & BPF_DEVCG_ACC_WRITE ? "w" : "",
		 r->access & BPF_DEVCG_ACC_MKNOD ? "m" : "");
	return true;
}

/*
 * Whether @dir's devices.list is exactly what "deny a" and the allow lines
 * of @r leave there (devices.rst: one "TYPE MAJ:MIN ACCESS" line per
 * exception, in the order added): then the start writes nothing. Anything
 * else (the policy of an older start with other rules, a list a service
 * with sys_admin changed, a rule refused, a longer list) is rewritten.
 */
static bool v1_in_place(const char *dir, const struct cgdev_rule *r, size_t n)
{
	char buf[2048], line[64];
	ssize_t len = cg_get(dir, "devices.list", buf, sizeof(buf));
	size_t at = 0;

	if (len < 0 || (size_t)len >= sizeof(buf) - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; v1_line(&r[i], k, line); k++) {
			size_t l = strlen(line);

			if ((size_t)len - at < l + 1 || memcmp(buf + at, line, l) ||
			    buf[at + l] != '\n')
				return false;
			at += l + 1;
		}
	return at == (size_t)len;
}

int cgdev_v1_apply(const char *name, const char *dir, const struct cgdev_rule *r, size_t n)
{
	char path[CG_PATH_MAX], line[64];
	_cleanup_fd_ int fd = -1;
	int e;

	if (v1_in_place(dir, r, n))
		return 0;
	if ((e = cg_put(dir, "devices.deny", "a")) < 0)
		return e;
	/* one open for every line: each write(2) is one rule */
	if (snprintf(path, sizeof(path), "%s/devices.allow", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = cg_open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		e = 0;
		for (uint32_t k = 0; !e && v1_line(&r[i], k, line); k++)
			e = write(fd, line, strlen(line)) < 0 ? -errno : 0;
		if (e == -EPERM && r[i].src)
			log_warn("service.%s.bind: %s: boxinit's own devices cgroup does "
				 "not allow this device: the service cannot open it", name,
				 r[i].src);
		else if (e < 0 && e != -EPERM)
			return e;
	}
	return 0;
}

/* ---- per service --------------------------------------------------------- */

/* One warning per run when no policy can apply. */
static void warn_none(const char *name, const char *why)
{
	cg_warn_once(W_DEVICES, "service.%s: no device policy (%s): services start without "
		     "one, and a device node they can make (caps = mknod) or reach opens "
		     "that device", name, why);
}

int cgroup_service_devices(const struct svc_conf *c)
{
	_cleanup_free_ struct cgdev_rule *r = NULL;
	const struct cg_hier *h = cg_devices_hier();
	char dir[CG_PATH_MAX], why[160];
	int n, e;

	if (!h || snprintf(dir, sizeof(dir), "%s/%s", h->base, c->name) >= (int)sizeof(dir)) {
		warn_none(c->name, "neither a v1 devices controller, CONFIG_CGROUP_DEVICE, "
			  "nor cgroup v2 with CONFIG_CGROUP_BPF");
		return 0;
	}
	n = cgdev_rules(c, &r);
	if (n < 0)
		return n;
	e = h->ops->devices(c->name, dir, r, (size_t)n, why, sizeof(why));
	if (e == 1) {
		warn_none(c->name, why);
		return 0;
	}
	return e;       /* the start fails: "NAME: device policy: ERROR" */
}

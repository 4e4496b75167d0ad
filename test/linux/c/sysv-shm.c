/* System V shared memory as X's MIT-SHM uses it: a segment made, attached, written in one
 * process and read in another (a fork child, and an unrelated exec'd program attaching by
 * id), its content kept across detach, IPC_STAT's counts, keys, removal while attached,
 * read-only attachments, and the errors; through glibc, the direct system calls and the
 * ipc(2) multiplexer. Prints results; compared with a native run. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define IPCOP_SHMAT 21
#define IPCOP_SHMDT 22
#define IPCOP_SHMGET 23
#define IPCOP_SHMCTL 24

static const char *en(int r) { return r == -1 ? strerror(errno) : "ok"; }
static int wait_child(pid_t p) { int st; waitpid(p, &st, 0); return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }
static struct shmid_ds stat_of(int id) { struct shmid_ds d; memset(&d, 0, sizeof d); shmctl(id, IPC_STAT, &d); return d; }

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && !strcmp(argv[1], "attach")) {
    /* The exec'd program: attach by id, read, write, detach. */
    char *p = shmat(atoi(argv[2]), NULL, 0);
    if (p == (void *)-1) { printf("exec attach: %s\n", strerror(errno)); return 1; }
    printf("exec sees '%s'\n", p);
    strcpy(p, "written by the exec'd program");
    return shmdt(p) == 0 ? 0 : 2;
  }

  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
  printf("shmget %s\n", id >= 0 ? "ok" : strerror(errno));
  struct shmid_ds d = stat_of(id);
  printf("stat segsz %zu nattch %lu mode %o cpid-is-me %d\n", (size_t)d.shm_segsz, (unsigned long)d.shm_nattch, d.shm_perm.mode & 07777, d.shm_cpid == getpid());
  char *p = shmat(id, NULL, 0);
  printf("shmat %s page-aligned %d\n", p == (void *)-1 ? strerror(errno) : "ok", ((unsigned long)p & 4095) == 0);
  printf("fresh zero %d %d\n", p[0], p[9999]);
  strcpy(p, "hello from the parent");
  d = stat_of(id);
  printf("nattch %lu lpid-is-me %d\n", (unsigned long)d.shm_nattch, d.shm_lpid == getpid());

  /* A fork child inherits the attachment: its writes reach the parent. */
  pid_t c = fork();
  if (c == 0) {
    printf("child sees '%s' nattch %lu\n", p, (unsigned long)stat_of(id).shm_nattch);
    strcpy(p, "written by the child");
    p[9999] = 'z';
    _exit(0);
  }
  int st = wait_child(c);
  printf("child %d; parent sees '%s' and '%c' nattch %lu\n", st, p, p[9999], (unsigned long)stat_of(id).shm_nattch);

  /* An unrelated program attaches by id. */
  c = fork();
  if (c == 0) {
    char ids[16];
    snprintf(ids, sizeof ids, "%d", id);
    execl("/proc/self/exe", argv[0], "attach", ids, (char *)NULL);
    _exit(127);
  }
  st = wait_child(c);
  printf("exec'd program %d; parent sees '%s'\n", st, p);

  /* Detach; the content stays; errors for what is not an attachment. */
  printf("shmdt %s\n", en(shmdt(p)));
  printf("shmdt again %s\n", en(shmdt(p)));
  printf("shmdt unaligned %s\n", en(shmdt(p + 1)));
  printf("nattch %lu\n", (unsigned long)stat_of(id).shm_nattch);
  p = shmat(id, NULL, 0);
  printf("reattached sees '%s'\n", p);

  /* Read-only: a write is SIGSEGV. */
  c = fork();
  if (c == 0) {
    char *r = shmat(id, NULL, SHM_RDONLY);
    printf("read-only sees '%.7s'\n", r);
    r[0] = 'X';
    _exit(0);
  }
  printf("write to a read-only attachment: status %d\n", wait_child(c));

  /* Keys. */
  key_t key = 0x5e11a0b0 + (getpid() & 0xfff);
  int k1 = shmget(key, 4096, IPC_CREAT | 0640);
  printf("key create %s\n", k1 >= 0 ? "ok" : strerror(errno));
  printf("key again same id %d\n", shmget(key, 100, 0) == k1);
  printf("key excl %s\n", en(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600)));
  printf("key larger %s\n", en(shmget(key, 8192, 0)));
  printf("missing key %s\n", en(shmget(key + 1, 4096, 0)));
  printf("size 0 %s\n", en(shmget(IPC_PRIVATE, 0, 0600)));
  printf("key mode %o\n", stat_of(k1).shm_perm.mode & 0777);
  struct shmid_ds set = stat_of(k1);
  set.shm_perm.mode = 0604;
  const char *r1 = en(shmctl(k1, IPC_SET, &set));
  printf("IPC_SET %s mode %o\n", r1, stat_of(k1).shm_perm.mode & 0777);
  r1 = en(shmctl(k1, IPC_RMID, NULL));
  printf("rmid unattached %s; stat after %s\n", r1, en(shmctl(k1, IPC_STAT, &set)));

  /* Removal while attached: marked (SHM_DEST), the key freed, still attachable by id until the last detach. */
  printf("rmid attached %s\n", en(shmctl(id, IPC_RMID, NULL)));
  d = stat_of(id);
  printf("dest %d key %d nattch %lu\n", (d.shm_perm.mode & SHM_DEST) != 0, d.shm_perm.__key, (unsigned long)d.shm_nattch);
  char *q = shmat(id, NULL, 0);
  printf("attach a removed segment %s sees '%.7s'\n", q == (void *)-1 ? strerror(errno) : "ok", q);
  shmdt(q);
  shmdt(p);
  printf("after the last detach: stat %s\n", en(shmctl(id, IPC_STAT, &d)));

  /* Bad arguments. */
  printf("shmat bad id %s\n", en(shmat(0x7ffffff, NULL, 0) == (void *)-1 ? -1 : 0));
  int id2 = shmget(IPC_PRIVATE, 4096, 0600);
  printf("shmat unaligned %s\n", en(shmat(id2, (void *)0x50000001, 0) == (void *)-1 ? -1 : 0));
  char *rnd = shmat(id2, (void *)0x50000123, SHM_RND);
  printf("shmat SHM_RND at %p\n", rnd);
  printf("shmctl bad cmd %s\n", en(shmctl(id2, 999, &d)));
  shmdt(rnd);

  /* The direct calls and ipc(2), as i386 programs may make them. */
  long did = syscall(SYS_shmget, IPC_PRIVATE, 4096, 0600);
  char *dp = (char *)syscall(SYS_shmat, did, 0, 0);
  strcpy(dp, "direct");
  unsigned long raddr = 0;
  long r = syscall(SYS_ipc, IPCOP_SHMAT, did, 0, &raddr, 0, 0);
  printf("ipc SHMAT %ld, second attachment %d\n", r, raddr != 0 && raddr != (unsigned long)dp);
  printf("ipc SHMDT %ld\n", syscall(SYS_ipc, IPCOP_SHMDT, 0, 0, 0, (void *)raddr, 0));
  long gid = syscall(SYS_ipc, IPCOP_SHMGET, IPC_PRIVATE, 8192, 0600, 0, 0);
  struct shmid_ds gd;
  long sr = syscall(SYS_ipc, IPCOP_SHMCTL, gid, IPC_STAT | 0x100, 0, &gd, 0);
  printf("ipc SHMGET %s, SHMCTL IPC_STAT|IPC_64 %ld segsz %zu\n", gid >= 0 ? "ok" : "fail", sr, (size_t)gd.shm_segsz);
  sr = syscall(SYS_shmctl, gid, IPC_STAT | 0x100, &gd);
  printf("direct shmctl with IPC_64 %s\n", en((int)sr));
  printf("ipc unknown call %s\n", en((int)syscall(SYS_ipc, 99, 0, 0, 0, 0, 0)));
  syscall(SYS_shmdt, dp);
  shmctl(did, IPC_RMID, NULL);
  shmctl(gid, IPC_RMID, NULL);
  shmctl(id2, IPC_RMID, NULL);
  return 0;
}

/*
 * A file system that can lose power, for the server process under test (LD_PRELOAD).
 *
 * For files under POWERCUT_DIR (the database and its -wal; the -shm, which SQLite rebuilds, and the .lock are left
 * alone), every write goes through to the file, so the process reads its own writes, but the bytes it overwrites
 * below the file's last synced size are kept first in an undo log. fsync/fdatasync of a file makes its writes
 * durable: the undo log of that file is dropped and its synced size becomes its size. A power cut restores, under the
 * lock every write takes, every undo log in reverse order, cuts each file back to its synced size and SIGKILLs the
 * process: what is left is exactly what was synced. The cut comes once the file named by POWERCUT_CUT_FLAG exists,
 * right after the next write to a watched file (the moment a commit's bytes are written and not yet synced, which a
 * cut at a random instant would seldom meet: the time between a write and its fsync is a few microseconds), or
 * 200 ms after the flag appeared if no write comes.
 *
 * A full disk: while the file named by POWERCUT_FULL_FLAG exists, every write to those files fails with ENOSPC.
 * While the file named by POWERCUT_IGNORE_FSYNC_FLAG exists, fsync/fdatasync do nothing, as a disk that acknowledges
 * flushes it has not done: the control that shows that a power cut then loses acknowledged changes.
 *
 * Build: gcc -shared -fPIC -O2 -o libpowercut.so powercut.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
#define MAX_FILES 64

struct undo {
    off_t offset;
    size_t length;
    struct undo *next; /* newer first */
    unsigned char data[];
};

struct file_state {
    dev_t dev;
    ino_t ino;
    int keep;          /* a descriptor of our own, to restore the file after SQLite closed it */
    off_t synced_size; /* the size the last fsync made durable */
    struct undo *undo; /* the bytes overwritten since that fsync, newest first */
};

static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct file_state files[MAX_FILES];
static int file_count;
static struct file_state *by_fd[MAX_FDS];
static char dir[4096];
static size_t dir_length;
static const char *cut_flag;
static const char *full_flag;
static const char *ignore_flag;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);

static void resolve(void)
{
    if (real_pwrite) {
        return;
    }
    real_open = dlsym(RTLD_NEXT, "open");
    real_open64 = dlsym(RTLD_NEXT, "open64");
    real_openat = dlsym(RTLD_NEXT, "openat");
    real_openat64 = dlsym(RTLD_NEXT, "openat64");
    real_close = dlsym(RTLD_NEXT, "close");
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_pwritev = dlsym(RTLD_NEXT, "pwritev");
    real_pread = dlsym(RTLD_NEXT, "pread");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
    real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
}

static int flag_set(const char *path)
{
    struct stat st;
    return path != NULL && stat(path, &st) == 0;
}

static void cut_power(void)
{
    pthread_mutex_lock(&lock); /* never released: no write can start or finish after this */
    long long dropped = 0; /* unsynced bytes: overwritten ones put back, appended ones cut off */
    for (int i = 0; i < file_count; i++) {
        struct file_state *f = &files[i];
        struct stat st;
        if (fstat(f->keep, &st) == 0 && st.st_size > f->synced_size) {
            dropped += st.st_size - f->synced_size;
        }
        real_ftruncate(f->keep, f->synced_size);
        for (struct undo *u = f->undo; u != NULL; u = u->next) { /* newest first: the oldest bytes win */
            real_pwrite(f->keep, u->data, u->length, u->offset);
            dropped += (long long)u->length;
        }
    }
    char line[128];
    int n = snprintf(line, sizeof line, "powercut: power cut, %lld unsynced byte(s) dropped in %d file(s)\n", dropped, file_count);
    real_write(2, line, (size_t)n);
    kill(getpid(), SIGKILL);
}

static void *watch(void *unused)
{
    (void)unused;
    struct timespec pause = {0, 1000000};
    int seen = 0;
    for (;;) {
        seen = flag_set(cut_flag) ? seen + 1 : 0;
        if (seen > 200) {
            cut_power();
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* After a write to a watched file, lock held: the power goes now if the cut was asked for. */
static void after_write(void)
{
    if (flag_set(cut_flag)) {
        cut_power();
    }
}

__attribute__((constructor)) static void start(void)
{
    resolve();
    const char *d = getenv("POWERCUT_DIR");
    if (d == NULL || *d == '\0') {
        return;
    }
    snprintf(dir, sizeof dir, "%s/", d);
    dir_length = strlen(dir);
    cut_flag = getenv("POWERCUT_CUT_FLAG");
    full_flag = getenv("POWERCUT_FULL_FLAG");
    ignore_flag = getenv("POWERCUT_IGNORE_FSYNC_FLAG");
    if (cut_flag != NULL) {
        pthread_t thread;
        pthread_create(&thread, NULL, watch, NULL);
        pthread_detach(thread);
    }
}

static int tracked_path(const char *path)
{
    if (dir_length == 0 || path == NULL || strncmp(path, dir, dir_length) != 0) {
        return 0;
    }
    size_t n = strlen(path);
    return !(n >= 4 && strcmp(path + n - 4, "-shm") == 0) && !(n >= 5 && strcmp(path + n - 5, ".lock") == 0);
}

/* Called with the lock held, after a successful open of a tracked path. */
static void opened(int fd, const char *path)
{
    if (fd < 0 || fd >= MAX_FDS) {
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return;
    }
    for (int i = 0; i < file_count; i++) {
        if (files[i].dev == st.st_dev && files[i].ino == st.st_ino) {
            by_fd[fd] = &files[i];
            return;
        }
    }
    if (file_count == MAX_FILES) {
        return;
    }
    struct file_state *f = &files[file_count];
    f->keep = real_open(path, O_RDWR | O_CLOEXEC);
    if (f->keep < 0) {
        return;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->synced_size = st.st_size; /* what was there before this process is durable */
    f->undo = NULL;
    file_count++;
    by_fd[fd] = f;
}

static struct file_state *state_of(int fd)
{
    return fd >= 0 && fd < MAX_FDS ? by_fd[fd] : NULL;
}

/* Keeps the bytes [offset, offset+length) below the synced size before they are overwritten. Lock held. */
static void save(struct file_state *f, off_t offset, size_t length)
{
    if (offset >= f->synced_size || length == 0) {
        return;
    }
    if (offset + (off_t)length > f->synced_size) {
        length = (size_t)(f->synced_size - offset);
    }
    struct undo *u = malloc(sizeof *u + length);
    if (u == NULL) {
        abort();
    }
    ssize_t got = real_pread(f->keep, u->data, length, offset);
    if (got < 0) {
        got = 0;
    }
    u->offset = offset;
    u->length = (size_t)got;
    u->next = f->undo;
    f->undo = u;
}

static void synced(struct file_state *f)
{
    struct stat st;
    if (fstat(f->keep, &st) == 0) {
        f->synced_size = st.st_size;
    }
    while (f->undo != NULL) {
        struct undo *next = f->undo->next;
        free(f->undo);
        f->undo = next;
    }
}

static int disk_full(void)
{
    if (flag_set(full_flag)) {
        errno = ENOSPC;
        return 1;
    }
    return 0;
}

#define OPEN_BODY(call)                                                                    \
    mode_t mode = 0;                                                                       \
    if (flags & (O_CREAT | O_TMPFILE)) {                                                   \
        va_list args;                                                                      \
        va_start(args, flags);                                                             \
        mode = va_arg(args, mode_t);                                                       \
        va_end(args);                                                                      \
    }                                                                                      \
    resolve();                                                                             \
    if (!tracked_path(path)) {                                                             \
        return call;                                                                       \
    }                                                                                      \
    pthread_mutex_lock(&lock);                                                             \
    int fd = call;                                                                         \
    if (fd >= 0) {                                                                         \
        opened(fd, path);                                                                  \
    }                                                                                      \
    pthread_mutex_unlock(&lock);                                                           \
    return fd;

int open(const char *path, int flags, ...) { OPEN_BODY(real_open(path, flags, mode)) }
int open64(const char *path, int flags, ...) { OPEN_BODY(real_open64(path, flags, mode)) }
int openat(int dirfd, const char *path, int flags, ...) { OPEN_BODY(real_openat(dirfd, path, flags, mode)) }
int openat64(int dirfd, const char *path, int flags, ...) { OPEN_BODY(real_openat64(dirfd, path, flags, mode)) }

int close(int fd)
{
    resolve();
    if (state_of(fd) == NULL) {
        return real_close(fd);
    }
    pthread_mutex_lock(&lock);
    by_fd[fd] = NULL;
    int result = real_close(fd);
    pthread_mutex_unlock(&lock);
    return result;
}

static ssize_t positioned_write(ssize_t (*call)(int, const void *, size_t, off_t), int fd, const void *buffer, size_t count, off_t offset)
{
    resolve();
    struct file_state *f = state_of(fd);
    if (f == NULL) {
        return call(fd, buffer, count, offset);
    }
    pthread_mutex_lock(&lock);
    ssize_t result = -1;
    if (!disk_full()) {
        save(f, offset, count);
        result = call(fd, buffer, count, offset);
        after_write();
    }
    pthread_mutex_unlock(&lock);
    return result;
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) { return positioned_write(real_pwrite, fd, buffer, count, offset); }
ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) { return positioned_write(real_pwrite64, fd, buffer, count, offset); }

ssize_t write(int fd, const void *buffer, size_t count)
{
    resolve();
    struct file_state *f = state_of(fd);
    if (f == NULL) {
        return real_write(fd, buffer, count);
    }
    pthread_mutex_lock(&lock);
    ssize_t result = -1;
    if (!disk_full()) {
        off_t at = lseek(fd, 0, SEEK_CUR);
        if (at >= 0) {
            save(f, at, count);
        }
        result = real_write(fd, buffer, count);
        after_write();
    }
    pthread_mutex_unlock(&lock);
    return result;
}

static size_t total(const struct iovec *iov, int n)
{
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        sum += iov[i].iov_len;
    }
    return sum;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    resolve();
    struct file_state *f = state_of(fd);
    if (f == NULL) {
        return real_writev(fd, iov, n);
    }
    pthread_mutex_lock(&lock);
    ssize_t result = -1;
    if (!disk_full()) {
        off_t at = lseek(fd, 0, SEEK_CUR);
        if (at >= 0) {
            save(f, at, total(iov, n));
        }
        result = real_writev(fd, iov, n);
        after_write();
    }
    pthread_mutex_unlock(&lock);
    return result;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t offset)
{
    resolve();
    struct file_state *f = state_of(fd);
    if (f == NULL) {
        return real_pwritev(fd, iov, n, offset);
    }
    pthread_mutex_lock(&lock);
    ssize_t result = -1;
    if (!disk_full()) {
        save(f, offset, total(iov, n));
        result = real_pwritev(fd, iov, n, offset);
        after_write();
    }
    pthread_mutex_unlock(&lock);
    return result;
}

static int truncate_to(int (*call)(int, off_t), int fd, off_t length)
{
    resolve();
    struct file_state *f = state_of(fd);
    if (f == NULL) {
        return call(fd, length);
    }
    pthread_mutex_lock(&lock);
    struct stat st;
    if (fstat(fd, &st) == 0 && length < st.st_size) {
        save(f, length, (size_t)(st.st_size - length));
    }
    int result = call(fd, length);
    pthread_mutex_unlock(&lock);
    return result;
}

int ftruncate(int fd, off_t length) { return truncate_to(real_ftruncate, fd, length); }
int ftruncate64(int fd, off_t length) { return truncate_to(real_ftruncate64, fd, length); }

static int sync_file(int (*call)(int), int fd)
{
    resolve();
    struct file_state *f = state_of(fd);
    if (f == NULL) {
        return call(fd);
    }
    pthread_mutex_lock(&lock);
    if (!flag_set(ignore_flag)) {
        synced(f);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

int fsync(int fd) { return sync_file(real_fsync, fd); }
int fdatasync(int fd) { return sync_file(real_fdatasync, fd); }

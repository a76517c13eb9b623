package io.pglite.fs;

/**
 * Flag and command constants of the POSIX file API as Emscripten's musl ({@code arch/emscripten/bits/fcntl.h}
 * and the generic musl headers) numbers them for wasm32. These are the raw values the wasm module passes to
 * {@code __syscall_openat}, {@code __syscall_fcntl64}, {@code __syscall_unlinkat} and friends, so the host can
 * hand them to {@link VirtualFileSystem} unchanged.
 */
public final class OpenFlags {
    private OpenFlags() {
    }

    /** Open for reading only (access mode 0). */
    public static final int O_RDONLY = 0;
    /** Open for writing only. */
    public static final int O_WRONLY = 1;
    /** Open for reading and writing. */
    public static final int O_RDWR = 2;
    /** Mask selecting the access mode bits. */
    public static final int O_ACCMODE = 3;
    /** Create the file if it does not exist. */
    public static final int O_CREAT = 0x40;
    /** With {@link #O_CREAT}: fail with EEXIST if the file exists. */
    public static final int O_EXCL = 0x80;
    /** Do not make a terminal the controlling terminal (ignored). */
    public static final int O_NOCTTY = 0x100;
    /** Truncate a regular file to length 0 when opened for writing. */
    public static final int O_TRUNC = 0x200;
    /** Every write appends at the current end of file. */
    public static final int O_APPEND = 0x400;
    /** Non-blocking I/O (only meaningful for pipes; file I/O never blocks here). */
    public static final int O_NONBLOCK = 0x800;
    /** Synchronous data writes (accepted, no extra effect). */
    public static final int O_DSYNC = 0x1000;
    /** Large-file flag; always set by wasm32 musl, no effect. */
    public static final int O_LARGEFILE = 0x8000;
    /** Fail with ENOTDIR unless the path names a directory. */
    public static final int O_DIRECTORY = 0x10000;
    /** Fail with ELOOP if the last path component is a symbolic link. */
    public static final int O_NOFOLLOW = 0x20000;
    /** Close on exec; stored as the descriptor flag {@link #FD_CLOEXEC}. */
    public static final int O_CLOEXEC = 0x80000;
    /** Synchronous writes (accepted, no extra effect). */
    public static final int O_SYNC = 0x101000;
    /** Path-only descriptor (treated as read-only). */
    public static final int O_PATH = 0x200000;

    /** Status flags that {@code F_SETFL} may change. */
    public static final int SETFL_MASK = O_APPEND | O_NONBLOCK;

    /** Directory file descriptor meaning "the current working directory". */
    public static final int AT_FDCWD = -100;
    /** {@code fstatat}/{@code utimensat}/{@code fchmodat}: do not follow a final symbolic link. */
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    /** {@code unlinkat}: remove a directory (rmdir semantics). */
    public static final int AT_REMOVEDIR = 0x200;
    /** {@code faccessat}: check with the effective ids (same value as AT_REMOVEDIR, other syscall). */
    public static final int AT_EACCESS = 0x200;
    /** {@code fstatat}: an empty path means the directory file descriptor itself. */
    public static final int AT_EMPTY_PATH = 0x1000;

    /** {@code fcntl}: duplicate to the lowest free descriptor &gt;= arg. */
    public static final int F_DUPFD = 0;
    /** {@code fcntl}: get descriptor flags. */
    public static final int F_GETFD = 1;
    /** {@code fcntl}: set descriptor flags. */
    public static final int F_SETFD = 2;
    /** {@code fcntl}: get status flags and access mode. */
    public static final int F_GETFL = 3;
    /** {@code fcntl}: set status flags. */
    public static final int F_SETFL = 4;
    /** {@code fcntl}: test a record lock. */
    public static final int F_GETLK = 12;
    /** {@code fcntl}: set a record lock, non-blocking. */
    public static final int F_SETLK = 13;
    /** {@code fcntl}: set a record lock, blocking. */
    public static final int F_SETLKW = 14;
    /** {@code fcntl}: set owner (ignored). */
    public static final int F_SETOWN = 8;
    /** {@code fcntl}: get owner (returns 0). */
    public static final int F_GETOWN = 9;
    /** {@code fcntl}: open-file-description lock test. */
    public static final int F_OFD_GETLK = 36;
    /** {@code fcntl}: open-file-description lock set. */
    public static final int F_OFD_SETLK = 37;
    /** {@code fcntl}: open-file-description lock set, blocking. */
    public static final int F_OFD_SETLKW = 38;
    /** {@code fcntl}: duplicate with close-on-exec set. */
    public static final int F_DUPFD_CLOEXEC = 1030;
    /** Descriptor flag: close on exec. */
    public static final int FD_CLOEXEC = 1;

    /** {@code lseek}: absolute position. Same value as WASI {@code whence::set}. */
    public static final int SEEK_SET = 0;
    /** {@code lseek}: relative to the current position. Same value as WASI {@code whence::cur}. */
    public static final int SEEK_CUR = 1;
    /** {@code lseek}: relative to the end of file. Same value as WASI {@code whence::end}. */
    public static final int SEEK_END = 2;

    /** {@code access}: existence test. */
    public static final int F_OK = 0;
    /** {@code access}: execute/search permission. */
    public static final int X_OK = 1;
    /** {@code access}: write permission. */
    public static final int W_OK = 2;
    /** {@code access}: read permission. */
    public static final int R_OK = 4;
}

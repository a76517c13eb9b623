package io.pglite.fs;

/**
 * POSIX error numbers as Emscripten's musl defines them for wasm32.
 *
 * <p>Emscripten's {@code arch/emscripten/bits/errno.h} maps every errno that has a WASI equivalent onto the
 * WASI {@code __WASI_ERRNO_*} value, so the same number serves both the {@code __syscall_*} family (which
 * returns {@code -errno}) and the WASI {@code fd_*} family (which returns {@code +errno}). The values here
 * are those WASI numbers; they are <em>not</em> the Linux numbers (Linux ENOENT is 2, here it is 44).
 *
 * <p>Every operation of {@link VirtualFileSystem} and of {@link FileTreeLayer} reports failure as the
 * negated constant, e.g. {@code -Errno.ENOENT}.
 */
public final class Errno {
    private Errno() {
    }

    /** Argument list too long. */
    public static final int E2BIG = 1;
    /** Permission denied. */
    public static final int EACCES = 2;
    /** Resource temporarily unavailable (also EWOULDBLOCK). */
    public static final int EAGAIN = 6;
    /** Bad file descriptor. */
    public static final int EBADF = 8;
    /** Device or resource busy. */
    public static final int EBUSY = 10;
    /** File exists. */
    public static final int EEXIST = 20;
    /** Bad address. */
    public static final int EFAULT = 21;
    /** File too large. */
    public static final int EFBIG = 22;
    /** Interrupted system call. */
    public static final int EINTR = 27;
    /** Invalid argument. */
    public static final int EINVAL = 28;
    /** I/O error. */
    public static final int EIO = 29;
    /** Is a directory. */
    public static final int EISDIR = 31;
    /** Too many levels of symbolic links. */
    public static final int ELOOP = 32;
    /** Too many open files (per process). */
    public static final int EMFILE = 33;
    /** Too many links. */
    public static final int EMLINK = 34;
    /** File name too long. */
    public static final int ENAMETOOLONG = 37;
    /** Too many open files in system. */
    public static final int ENFILE = 41;
    /** No such device. */
    public static final int ENODEV = 43;
    /** No such file or directory. */
    public static final int ENOENT = 44;
    /** Out of memory. */
    public static final int ENOMEM = 48;
    /** No space left on device. */
    public static final int ENOSPC = 51;
    /** Function not implemented. */
    public static final int ENOSYS = 52;
    /** Not a directory. */
    public static final int ENOTDIR = 54;
    /** Directory not empty. */
    public static final int ENOTEMPTY = 55;
    /** Not a typewriter: inappropriate ioctl for device. */
    public static final int ENOTTY = 59;
    /** No such device or address. */
    public static final int ENXIO = 60;
    /** Value too large for defined data type. */
    public static final int EOVERFLOW = 61;
    /** Operation not permitted. */
    public static final int EPERM = 63;
    /** Broken pipe. */
    public static final int EPIPE = 64;
    /** Read-only file system. */
    public static final int EROFS = 69;
    /** Illegal seek. */
    public static final int ESPIPE = 70;
    /** Text file busy. */
    public static final int ETXTBSY = 74;
    /** Cross-device link. */
    public static final int EXDEV = 75;
    /**
     * Operation not supported. Careful: Emscripten gives ENOTSUP/EOPNOTSUPP the non-WASI number 138,
     * not WASI's 58, because musl treats them as aliases of EOPNOTSUPP.
     */
    public static final int EOPNOTSUPP = 138;

    /**
     * Returns the symbolic name of an errno value (sign ignored), for log messages.
     *
     * @param errno an errno value, positive or negated
     * @return the constant's name, or {@code "errno <n>"} if unknown
     */
    public static String name(int errno) {
        switch (Math.abs(errno)) {
            case E2BIG: return "E2BIG";
            case EACCES: return "EACCES";
            case EAGAIN: return "EAGAIN";
            case EBADF: return "EBADF";
            case EBUSY: return "EBUSY";
            case EEXIST: return "EEXIST";
            case EFAULT: return "EFAULT";
            case EFBIG: return "EFBIG";
            case EINTR: return "EINTR";
            case EINVAL: return "EINVAL";
            case EIO: return "EIO";
            case EISDIR: return "EISDIR";
            case ELOOP: return "ELOOP";
            case EMFILE: return "EMFILE";
            case EMLINK: return "EMLINK";
            case ENAMETOOLONG: return "ENAMETOOLONG";
            case ENFILE: return "ENFILE";
            case ENODEV: return "ENODEV";
            case ENOENT: return "ENOENT";
            case ENOMEM: return "ENOMEM";
            case ENOSPC: return "ENOSPC";
            case ENOSYS: return "ENOSYS";
            case ENOTDIR: return "ENOTDIR";
            case ENOTEMPTY: return "ENOTEMPTY";
            case ENOTTY: return "ENOTTY";
            case ENXIO: return "ENXIO";
            case EOVERFLOW: return "EOVERFLOW";
            case EPERM: return "EPERM";
            case EPIPE: return "EPIPE";
            case EROFS: return "EROFS";
            case ESPIPE: return "ESPIPE";
            case ETXTBSY: return "ETXTBSY";
            case EXDEV: return "EXDEV";
            case EOPNOTSUPP: return "EOPNOTSUPP";
            default: return "errno " + Math.abs(errno);
        }
    }
}

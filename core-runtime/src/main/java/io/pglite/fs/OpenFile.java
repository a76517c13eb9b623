package io.pglite.fs;

import java.util.List;

/**
 * An open file description: what one {@code open} (or {@code pipe}) created and every {@code dup} of it
 * shares, i.e. the position, the status flags and the underlying object. Descriptors in the VFS table point at
 * these; {@link #refs} counts the descriptors, and the underlying object is released when it reaches 0.
 */
abstract class OpenFile {
    /** Access mode and status flags as given to open (creation flags stripped). */
    int flags;
    long position;
    int refs = 1;
    /** Absolute VFS path (for directory-relative lookups, fchmod and diagnostics); a label for pipes. */
    String path;

    OpenFile(int flags, String path) {
        this.flags = flags;
        this.path = path;
    }

    final boolean readable() {
        return (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_WRONLY;
    }

    final boolean writable() {
        return (flags & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY;
    }

    abstract int read(byte[] dst, int off, int len);

    abstract int write(byte[] src, int off, int len);

    int pread(byte[] dst, int off, int len, long pos) {
        return -Errno.ESPIPE;
    }

    int pwrite(byte[] src, int off, int len, long pos) {
        return -Errno.ESPIPE;
    }

    long seek(long offset, int whence) {
        return -Errno.ESPIPE;
    }

    /** Computes a new position for SEEK_SET/CUR/END; -errno on bad whence or a negative result. */
    final long newPosition(long offset, int whence, long size) {
        long base;
        switch (whence) {
            case OpenFlags.SEEK_SET: base = 0; break;
            case OpenFlags.SEEK_CUR: base = position; break;
            case OpenFlags.SEEK_END: base = size; break;
            default: return -Errno.EINVAL;
        }
        long p = base + offset;
        if (p < 0 || (offset > 0 && p < base)) {
            return -Errno.EINVAL;
        }
        return p;
    }

    abstract int stat(FileStat out);

    /** WASI file type for {@code fd_fdstat_get}. */
    abstract int fileType();

    /** Releases the underlying object when the last descriptor is closed. */
    abstract void release();

    // ---------------------------------------------------------------------------------------------------------

    /** A regular file in a layer. */
    static final class RegularFile extends OpenFile {
        final FileHandle handle;
        final VirtualFileSystem.Mount mount;

        RegularFile(FileHandle handle, int flags, String path, VirtualFileSystem.Mount mount) {
            super(flags, path);
            this.handle = handle;
            this.mount = mount;
        }

        @Override
        int read(byte[] dst, int off, int len) {
            if (!readable()) {
                return -Errno.EBADF;
            }
            int n = handle.read(position, dst, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        int write(byte[] src, int off, int len) {
            if (!writable()) {
                return -Errno.EBADF;
            }
            if ((flags & OpenFlags.O_APPEND) != 0) {
                long size = handle.size();
                if (size < 0) {
                    return (int) size;
                }
                position = size;
            }
            int n = handle.write(position, src, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        int pread(byte[] dst, int off, int len, long pos) {
            if (!readable()) {
                return -Errno.EBADF;
            }
            return pos < 0 ? -Errno.EINVAL : handle.read(pos, dst, off, len);
        }

        @Override
        int pwrite(byte[] src, int off, int len, long pos) {
            if (!writable()) {
                return -Errno.EBADF;
            }
            return pos < 0 ? -Errno.EINVAL : handle.write(pos, src, off, len);
        }

        @Override
        long seek(long offset, int whence) {
            long size = 0;
            if (whence == OpenFlags.SEEK_END) {
                size = handle.size();
                if (size < 0) {
                    return size;
                }
            }
            long p = newPosition(offset, whence, size);
            if (p >= 0) {
                position = p;
            }
            return p;
        }

        @Override
        int stat(FileStat out) {
            out.clear();
            int r = handle.stat(out);
            out.dev = mount.dev;
            return r;
        }

        @Override
        int fileType() {
            return VirtualFileSystem.FILETYPE_REGULAR_FILE;
        }

        @Override
        void release() {
            handle.close();
        }
    }

    /** An open directory; entries are snapshotted on the first read after open or rewind. */
    static final class DirectoryFile extends OpenFile {
        final VirtualFileSystem.Mount mount;
        String layerPath;
        List<DirEntry> snapshot;

        DirectoryFile(int flags, String path, VirtualFileSystem.Mount mount, String layerPath) {
            super(flags, path);
            this.mount = mount;
            this.layerPath = layerPath;
        }

        @Override
        int read(byte[] dst, int off, int len) {
            return -Errno.EISDIR;
        }

        @Override
        int write(byte[] src, int off, int len) {
            return -Errno.EBADF;
        }

        @Override
        int pread(byte[] dst, int off, int len, long pos) {
            return -Errno.EISDIR;
        }

        @Override
        int pwrite(byte[] src, int off, int len, long pos) {
            return -Errno.EBADF;
        }

        @Override
        long seek(long offset, int whence) {
            if (whence == OpenFlags.SEEK_END) {
                return -Errno.EINVAL;
            }
            long p = newPosition(offset, whence, 0);
            if (p >= 0) {
                position = p;
                if (p == 0) {
                    // rewinddir: the next read sees the directory as it is now.
                    snapshot = null;
                }
            }
            return p;
        }

        @Override
        int stat(FileStat out) {
            out.clear();
            int r = mount.layer.lstat(layerPath, out);
            out.dev = mount.dev;
            return r;
        }

        @Override
        int fileType() {
            return VirtualFileSystem.FILETYPE_DIRECTORY;
        }

        @Override
        void release() {
            snapshot = null;
        }
    }

    /** A character device. */
    static final class DeviceFile extends OpenFile {
        final CharDevice device;
        final long ino;
        final long rdev;
        final long dev;

        DeviceFile(CharDevice device, int flags, String path, long ino, long rdev, long dev) {
            super(flags, path);
            this.device = device;
            this.ino = ino;
            this.rdev = rdev;
            this.dev = dev;
        }

        @Override
        int read(byte[] dst, int off, int len) {
            if (!readable()) {
                return -Errno.EBADF;
            }
            int n = device.read(position, dst, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        int write(byte[] src, int off, int len) {
            if (!writable()) {
                return -Errno.EBADF;
            }
            int n = device.write(position, src, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        int pread(byte[] dst, int off, int len, long pos) {
            if (!device.isSeekable()) {
                return -Errno.ESPIPE;
            }
            if (!readable()) {
                return -Errno.EBADF;
            }
            return pos < 0 ? -Errno.EINVAL : device.read(pos, dst, off, len);
        }

        @Override
        int pwrite(byte[] src, int off, int len, long pos) {
            if (!device.isSeekable()) {
                return -Errno.ESPIPE;
            }
            if (!writable()) {
                return -Errno.EBADF;
            }
            return pos < 0 ? -Errno.EINVAL : device.write(pos, src, off, len);
        }

        @Override
        long seek(long offset, int whence) {
            if (!device.isSeekable()) {
                return -Errno.ESPIPE;
            }
            long p = newPosition(offset, whence, device.size());
            if (p >= 0) {
                position = p;
            }
            return p;
        }

        @Override
        int stat(FileStat out) {
            VirtualFileSystem.fillDeviceStat(out, device, ino, rdev, dev);
            return 0;
        }

        @Override
        int fileType() {
            // Only terminals are character devices to wasm libc (isatty); other devices look like files,
            // as in the Emscripten glue PGlite was built and tested against.
            return device.isTerminal() ? VirtualFileSystem.FILETYPE_CHARACTER_DEVICE
                    : VirtualFileSystem.FILETYPE_REGULAR_FILE;
        }

        @Override
        void release() {
            device.flush();
            device.close();
        }
    }

    /** One end of a pipe. */
    static final class PipeEnd extends OpenFile {
        final Pipe pipe;
        final boolean readEnd;

        PipeEnd(Pipe pipe, boolean readEnd, int flags) {
            super((readEnd ? OpenFlags.O_RDONLY : OpenFlags.O_WRONLY) | flags, "pipe:[" + pipe.ino + "]");
            this.pipe = pipe;
            this.readEnd = readEnd;
        }

        @Override
        int read(byte[] dst, int off, int len) {
            return readEnd ? pipe.read(dst, off, len) : -Errno.EBADF;
        }

        @Override
        int write(byte[] src, int off, int len) {
            return readEnd ? -Errno.EBADF : pipe.write(src, off, len);
        }

        @Override
        int stat(FileStat out) {
            out.clear();
            out.ino = pipe.ino;
            out.mode = FileStat.S_IFIFO | 0600;
            out.nlink = 1;
            return 0;
        }

        @Override
        int fileType() {
            // The Emscripten glue reports every non-tty, non-directory, non-link stream as a regular file.
            return VirtualFileSystem.FILETYPE_REGULAR_FILE;
        }

        @Override
        void release() {
            if (readEnd) {
                pipe.readers--;
            } else {
                pipe.writers--;
            }
        }
    }
}

package io.pglite.wasm;

import com.dylibso.chicory.annotations.HostModule;
import com.dylibso.chicory.annotations.WasmExport;
import com.dylibso.chicory.runtime.Memory;
import io.pglite.fs.Errno;
import io.pglite.fs.VirtualFileSystem;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code wasi_snapshot_preview1} imports of an Emscripten program: file descriptor I/O, environment,
 * clocks, randomness and {@code proc_exit}.
 *
 * <p>They share the file descriptor table with the {@code __syscall_*} family in {@link EnvImports}: both
 * go to the process's {@link VirtualFileSystem}. WASI functions return 0 or a positive errno.
 */
@HostModule("wasi_snapshot_preview1")
final class WasiImports {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WasiImports.class);
    private final EmscriptenProcess process;
    private final EnvImports env;
    private final SecureRandom random = new SecureRandom();
    private List<byte[]> environmentStrings;

    WasiImports(EmscriptenProcess process, EnvImports env) {
        this.process = process;
        this.env = env;
    }

    private VirtualFileSystem fs() {
        return process.files();
    }

    private List<byte[]> environmentStrings() {
        if (environmentStrings == null) {
            List<byte[]> list = new ArrayList<>();
            for (Map.Entry<String, String> e : env.environment().entrySet()) {
                list.add((e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8));
            }
            environmentStrings = list;
        }
        return environmentStrings;
    }

    @WasmExport("environ_sizes_get")
    public int environSizesGet(Memory m, int countPtr, int sizePtr) {
        List<byte[]> strings = environmentStrings();
        int size = 0;
        for (byte[] s : strings) {
            size += s.length + 1;
        }
        m.writeI32(countPtr, strings.size());
        m.writeI32(sizePtr, size);
        return 0;
    }

    @WasmExport("environ_get")
    public int environGet(Memory m, int environ, int buf) {
        int offset = 0;
        int i = 0;
        for (byte[] s : environmentStrings()) {
            m.writeI32(environ + 4 * i++, buf + offset);
            m.write(buf + offset, s);
            m.writeByte(buf + offset + s.length, (byte) 0);
            offset += s.length + 1;
        }
        return 0;
    }

    @WasmExport("proc_exit")
    public void procExit(int code) {
        throw new ProcessExitException(code);
    }

    @WasmExport("clock_time_get")
    public int clockTimeGet(Memory m, int clockId, long precision, int out) {
        process.signals().safePoint();
        long ns;
        if (clockId == 0) {
            Instant now = Instant.now();
            ns = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        } else if (clockId >= 1 && clockId <= 3) {
            ns = env.monotonicNanos();
        } else {
            return Errno.EINVAL;
        }
        m.writeLong(out, ns);
        return 0;
    }

    @WasmExport("random_get")
    public int randomGet(Memory m, int buf, int len) {
        byte[] bytes = new byte[len];
        random.nextBytes(bytes);
        m.write(buf, bytes);
        return 0;
    }

    @WasmExport("fd_close")
    public int fdClose(int fd) {
        return -fs().close(fd);
    }

    @WasmExport("fd_sync")
    public int fdSync(int fd) {
        return -fs().fsync(fd);
    }

    @WasmExport("fd_fdstat_get")
    public int fdFdstatGet(Memory m, int fd, int buf) {
        int type = fs().fileType(fd);
        if (type < 0) {
            return -type;
        }
        m.writeByte(buf, (byte) type);
        m.writeShort(buf + 2, (short) 0);
        m.writeLong(buf + 8, 0);
        m.writeLong(buf + 16, 0);
        return 0;
    }

    @WasmExport("fd_seek")
    public int fdSeek(Memory m, int fd, long offset, int whence, int out) {
        long r = fs().seek(fd, offset, whence);
        if (r < 0) {
            return (int) -r;
        }
        m.writeLong(out, r);
        return 0;
    }

    @WasmExport("fd_read")
    public int fdRead(Memory m, int fd, int iov, int iovcnt, int out) {
        return readv(m, fd, iov, iovcnt, -1, out);
    }

    @WasmExport("fd_pread")
    public int fdPread(Memory m, int fd, int iov, int iovcnt, long offset, int out) {
        if (offset < 0) {
            return Errno.EINVAL;
        }
        return readv(m, fd, iov, iovcnt, offset, out);
    }

    @WasmExport("fd_write")
    public int fdWrite(Memory m, int fd, int iov, int iovcnt, int out) {
        return writev(m, fd, iov, iovcnt, -1, out);
    }

    @WasmExport("fd_pwrite")
    public int fdPwrite(Memory m, int fd, int iov, int iovcnt, long offset, int out) {
        if (offset < 0) {
            return Errno.EINVAL;
        }
        return writev(m, fd, iov, iovcnt, offset, out);
    }

    /** Scatter read; {@code offset < 0} reads at the fd's position. A short read ends the loop. */
    private int readv(Memory m, int fd, int iov, int iovcnt, long offset, int out) {
        if (LOG.isTraceEnabled()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < iovcnt; i++) {
                sb.append(m.readInt(iov + 8 * i)).append('/').append(m.readInt(iov + 8 * i + 4)).append(' ');
            }
            int r = readv0(m, fd, iov, iovcnt, offset, out);
            LOG.trace("fd_read({} {}, {}) = {} -> {}", fd, fs().pathOf(fd), sb, r, m.readInt(out));
            return r;
        }
        return readv0(m, fd, iov, iovcnt, offset, out);
    }

    private int readv0(Memory m, int fd, int iov, int iovcnt, long offset, int out) {
        long total = 0;
        for (int i = 0; i < iovcnt; i++) {
            int ptr = m.readInt(iov + 8 * i);
            int len = m.readInt(iov + 8 * i + 4);
            int done = 0;
            while (done < len) {
                int chunk = Math.min(len - done, 1 << 20);
                byte[] buf = env.buffer(chunk);
                int n = offset < 0 ? fs().read(fd, buf, 0, chunk) : fs().pread(fd, buf, 0, chunk, offset + total);
                if (n < 0) {
                    if (total > 0 && n == -Errno.EAGAIN) {
                        m.writeI32(out, (int) total);
                        return 0;
                    }
                    return -n;
                }
                m.write(ptr + done, buf, 0, n);
                done += n;
                total += n;
                if (n < chunk) {
                    m.writeI32(out, (int) total);
                    return 0;
                }
            }
        }
        m.writeI32(out, (int) total);
        return 0;
    }

    private int writev(Memory m, int fd, int iov, int iovcnt, long offset, int out) {
        long total = 0;
        for (int i = 0; i < iovcnt; i++) {
            int ptr = m.readInt(iov + 8 * i);
            int len = m.readInt(iov + 8 * i + 4);
            int done = 0;
            while (done < len) {
                int chunk = Math.min(len - done, 1 << 20);
                byte[] buf = m.readBytes(ptr + done, chunk);
                int n = offset < 0 ? fs().write(fd, buf, 0, chunk) : fs().pwrite(fd, buf, 0, chunk, offset + total);
                if (n < 0) {
                    if (total > 0) {
                        m.writeI32(out, (int) total);
                        return 0;
                    }
                    return -n;
                }
                done += n;
                total += n;
                if (n < chunk) {
                    m.writeI32(out, (int) total);
                    return 0;
                }
            }
        }
        m.writeI32(out, (int) total);
        return 0;
    }

}

package io.pglite.wasm;

import com.dylibso.chicory.annotations.HostModule;
import com.dylibso.chicory.annotations.WasmExport;
import com.dylibso.chicory.runtime.Memory;
import io.pglite.fs.DirEntry;
import io.pglite.fs.Errno;
import io.pglite.fs.FileStat;
import io.pglite.fs.StatFs;
import io.pglite.fs.VirtualFileSystem;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code env} imports of an Emscripten program: the {@code __syscall_*} family, time, memory growth,
 * {@code mmap}, {@code exit}/{@code longjmp}, dynamic loading and a few libc helpers the glue implements in
 * JavaScript.
 *
 * <p>Declared once here; Chicory's annotation processor generates the {@code HostFunction} bindings
 * ({@code EnvImports_ModuleFactory}). Syscalls return a value {@code >= 0} or a negative errno in Emscripten's
 * (WASI) numbering. The {@code invoke_*} imports are generated per signature by {@link InvokeTrampoline}.
 *
 * <p>The program's local time zone is UTC: PostgreSQL does its own time zone work with its tz database, and
 * libc's {@code localtime} only matters for log timestamps. A fixed zone keeps clusters reproducible.
 */
@HostModule("env")
final class EnvImports {
    private static final Logger LOG = LoggerFactory.getLogger(EnvImports.class);

    private static final int PAGE = WasmMemories.PAGE_SIZE;
    private static final int STAT_SIZE = 96;
    private static final int DIRENT_SIZE = 280;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int AT_FDCWD = -100;
    private static final int EAI_NONAME = -2;
    private static final int EAI_FAMILY = -6;

    private final EmscriptenProcess process;
    private final Map<String, String> environment;
    private final long memoryLimitBytes;
    private final DynamicLinking dynamicLinking;
    private final FileStat stat = new FileStat();
    /** Origin of the monotonic clocks; moved when a process is restored so that they never go back. */
    private long clockOrigin = System.nanoTime();
    private byte[] ioBuffer = new byte[64 * 1024];
    private int umask = 022;

    EnvImports(EmscriptenProcess process, Map<String, String> environment, long memoryLimitBytes,
            DynamicLinking dynamicLinking) {
        this.process = process;
        this.environment = environment;
        this.memoryLimitBytes = memoryLimitBytes;
        this.dynamicLinking = dynamicLinking;
    }

    Map<String, String> environment() {
        return environment;
    }

    /** Nanoseconds on the process's monotonic clock ({@code CLOCK_MONOTONIC}, {@code emscripten_get_now}). */
    long monotonicNanos() {
        return System.nanoTime() - clockOrigin;
    }

    /** Continues the monotonic clock from {@code nanos} (a restored process resumes its snapshot's clock). */
    void resumeMonotonicClock(long nanos) {
        clockOrigin = System.nanoTime() - nanos;
    }

    int loadedLibraries() {
        return dynamicLinking == null ? 0 : dynamicLinking.loadedLibraries();
    }

    int umask() {
        return umask;
    }

    void restoreUmask(int mask) {
        umask = mask;
    }

    private VirtualFileSystem fs() {
        return process.files();
    }

    private String str(Memory m, int ptr) {
        return process.readCString(ptr);
    }

    byte[] buffer(int size) {
        if (ioBuffer.length < size) {
            ioBuffer = new byte[Math.max(size, ioBuffer.length * 2)];
        }
        return ioBuffer;
    }

    // ---- process control -------------------------------------------------------------------------

    @WasmExport
    public void exit(int status) {
        throw new ProcessExitException(status);
    }

    @WasmExport("_abort_js")
    public void abortJs() {
        throw new WasmAbortException("the program called abort()");
    }

    @WasmExport("__assert_fail")
    public void assertFail(Memory m, int condition, int file, int line, int function) {
        throw new WasmAbortException("assertion failed: " + str(m, condition) + " at " + str(m, file) + ":" + line
                + " in " + str(m, function));
    }

    @WasmExport("_emscripten_throw_longjmp")
    public void throwLongjmp() {
        throw LongjmpException.INSTANCE;
    }

    @WasmExport("_emscripten_runtime_keepalive_clear")
    public void keepaliveClear() {
        // Nothing keeps the runtime alive on the JVM side.
    }

    @WasmExport("__call_sighandler")
    public void callSighandler(int handler, int signal) {
        process.callTable(handler, signal);
    }

    @WasmExport("_setitimer_js")
    public int setitimer(int which, double timeoutMs) {
        // PostgreSQL arms ITIMER_REAL for statement_timeout (timeout.c); Signals delivers the alarm at
        // the wasm thread's next safe point.
        process.signals().arm(which, timeoutMs);
        return 0;
    }

    // ---- memory -------------------------------------------------------------------------------------

    @WasmExport("emscripten_get_heap_max")
    public int heapMax() {
        long max = Math.min(memoryLimitBytes, WasmMemories.MAX_BYTES);
        return (int) Math.min(max, (long) process.memory().maximumPages() * PAGE);
    }

    @WasmExport("emscripten_resize_heap")
    public int resizeHeap(int requested) {
        Memory memory = process.memory();
        long requestedSize = Integer.toUnsignedLong(requested);
        long oldSize = (long) memory.pages() * PAGE;
        long max = Integer.toUnsignedLong(heapMax());
        if (requestedSize > max) {
            LOG.warn("wasm heap of {} bytes requested, above the limit of {} bytes", requestedSize, max);
            return 0;
        }
        // The glue's growth policy: overshoot by 20% (less on retries), at most 96 MiB beyond the request.
        for (int cutDown = 1; cutDown <= 4; cutDown *= 2) {
            long overGrown = (long) (oldSize * (1 + 0.2 / cutDown));
            overGrown = Math.min(overGrown, requestedSize + 100663296L);
            long newSize = Math.min(max, alignUp(Math.max(requestedSize, overGrown), PAGE));
            int pages = (int) ((newSize - oldSize + PAGE - 1) / PAGE);
            if (pages <= 0 || memory.grow(pages) >= 0) {
                return 1;
            }
        }
        LOG.warn("could not grow the wasm heap to {} bytes", requestedSize);
        return 0;
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) / a * a;
    }

    @WasmExport("_mmap_js")
    public int mmap(Memory m, int len, int prot, int flags, int fd, long offset, int allocatedPtr, int addrPtr) {
        // Only file-backed mappings reach the host (anonymous ones are malloc'ed in wasm). There is a single
        // process, so a private copy of the file's bytes behaves like a shared mapping until munmap/msync.
        int ptr = process.callInt("emscripten_builtin_memalign", PAGE, len);
        if (ptr == 0) {
            return -Errno.ENOMEM;
        }
        m.fill((byte) 0, ptr, ptr + len);
        int done = 0;
        while (done < len) {
            int chunk = Math.min(len - done, 1 << 20);
            byte[] buf = buffer(chunk);
            int n = fs().pread(fd, buf, 0, chunk, offset + done);
            if (n < 0) {
                process.free(ptr);
                return n;
            }
            if (n == 0) {
                break;
            }
            m.write(ptr + done, buf, 0, n);
            done += n;
        }
        m.writeI32(allocatedPtr, 1);
        m.writeI32(addrPtr, ptr);
        return 0;
    }

    @WasmExport("_munmap_js")
    public int munmap(Memory m, int addr, int len, int prot, int flags, int fd, long offset) {
        if ((prot & PROT_WRITE) != 0 && (flags & MAP_SHARED) != 0) {
            byte[] bytes = m.readBytes(addr, len);
            int n = fs().pwrite(fd, bytes, 0, len, offset);
            if (n < 0) {
                return n;
            }
        }
        return 0;
    }

    // ---- time ---------------------------------------------------------------------------------------

    @WasmExport("emscripten_date_now")
    public double dateNow() {
        process.signals().safePoint();
        Instant now = Instant.now();
        return now.getEpochSecond() * 1000.0 + now.getNano() / 1_000_000.0;
    }

    @WasmExport("emscripten_get_now")
    public double getNow() {
        process.signals().safePoint();
        return monotonicNanos() / 1_000_000.0;
    }

    @WasmExport("_tzset_js")
    public void tzset(Memory m, int timezone, int daylight, int stdName, int dstName) {
        m.writeI32(timezone, 0);
        m.writeI32(daylight, 0);
        m.writeCString(stdName, "UTC");
        m.writeCString(dstName, "UTC");
    }

    @WasmExport("_localtime_js")
    public int localtime(Memory m, long time, int tm) {
        return writeTm(m, time, tm, true);
    }

    @WasmExport("_gmtime_js")
    public int gmtime(Memory m, long time, int tm) {
        return writeTm(m, time, tm, false);
    }

    @WasmExport("_mktime_js")
    public long mktime(Memory m, int tm) {
        // UTC has no DST: normalise the fields (mktime accepts out-of-range values) and write them back.
        try {
            ZonedDateTime t = ZonedDateTime.of(m.readInt(tm + 20) + 1900, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)
                    .plusMonths(m.readInt(tm + 16))
                    .plusDays(m.readInt(tm + 12) - 1L)
                    .plusHours(m.readInt(tm + 8))
                    .plusMinutes(m.readInt(tm + 4))
                    .plusSeconds(m.readInt(tm));
            long epoch = t.toEpochSecond();
            writeTm(m, epoch, tm, true);
            return epoch;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static int writeTm(Memory m, long time, int tm, boolean local) {
        ZonedDateTime t;
        try {
            t = Instant.ofEpochSecond(time).atZone(ZoneOffset.UTC);
        } catch (RuntimeException e) {
            return 1;
        }
        m.writeI32(tm, t.getSecond());
        m.writeI32(tm + 4, t.getMinute());
        m.writeI32(tm + 8, t.getHour());
        m.writeI32(tm + 12, t.getDayOfMonth());
        m.writeI32(tm + 16, t.getMonthValue() - 1);
        m.writeI32(tm + 20, t.getYear() - 1900);
        m.writeI32(tm + 24, t.getDayOfWeek().getValue() % 7);
        m.writeI32(tm + 28, t.getDayOfYear() - 1);
        if (local) {
            m.writeI32(tm + 32, 0);
            m.writeI32(tm + 36, 0);
        }
        return 0;
    }

    // ---- dynamic loading ----------------------------------------------------------------------------

    @WasmExport("_dlopen_js")
    public int dlopen(int handle) {
        if (dynamicLinking == null) {
            return 0;
        }
        return dynamicLinking.dlopen(process, handle);
    }

    @WasmExport("_dlsym_js")
    public int dlsym(int handle, int symbol, int symbolIndex) {
        if (dynamicLinking == null) {
            return 0;
        }
        return dynamicLinking.dlsym(process, handle, symbol, symbolIndex);
    }

    // ---- networking: only what PostgreSQL needs to read pg_hba.conf ------------------------------------

    @WasmExport
    public int getaddrinfo(Memory m, int node, int service, int hints, int out) {
        String host = str(m, node);
        int port = 0;
        if (service != 0) {
            try {
                port = Integer.parseInt(str(m, service));
            } catch (NumberFormatException e) {
                return EAI_NONAME;
            }
        }
        int family = 0;
        int socktype = 0;
        int protocol = 0;
        if (hints != 0) {
            family = m.readInt(hints + 4);
            socktype = m.readInt(hints + 8);
            protocol = m.readInt(hints + 12);
        }
        byte[] address = host == null ? new byte[4] : NumericAddress.parse(host);
        if (address == null) {
            return EAI_NONAME;
        }
        int af = address.length == 16 ? 10 : 2;
        if (family != 0 && family != af) {
            return EAI_FAMILY;
        }
        if (socktype == 0 && protocol != 0) {
            socktype = protocol == 17 ? 2 : 1;
        }
        if (protocol == 0 && socktype != 0) {
            protocol = socktype == 2 ? 17 : 6;
        }
        int salen = af == 10 ? 28 : 16;
        int sa = process.malloc(salen);
        m.fill((byte) 0, sa, sa + salen);
        m.writeShort(sa, (short) af);
        m.writeByte(sa + 2, (byte) (port >> 8));
        m.writeByte(sa + 3, (byte) port);
        m.write(af == 10 ? sa + 8 : sa + 4, address);
        int ai = process.malloc(32);
        m.fill((byte) 0, ai, ai + 32);
        m.writeI32(ai + 4, af);
        m.writeI32(ai + 8, socktype);
        m.writeI32(ai + 12, protocol);
        m.writeI32(ai + 16, salen);
        m.writeI32(ai + 20, sa);
        m.writeI32(out, ai);
        return 0;
    }

    @WasmExport
    public int getnameinfo(int sa, int salen, int host, int hostlen, int serv, int servlen, int flags) {
        return EAI_NONAME;
    }

    @WasmExport("__syscall_socket")
    public int socket(int a, int b, int c, int d, int e, int f) {
        return -Errno.ENOSYS;
    }

    @WasmExport("__syscall_bind")
    public int bind(int a, int b, int c, int d, int e, int f) {
        return -Errno.ENOSYS;
    }

    @WasmExport("__syscall_connect")
    public int connect(int a, int b, int c, int d, int e, int f) {
        return -Errno.ENOSYS;
    }

    @WasmExport("__syscall_listen")
    public int listen(int a, int b, int c, int d, int e, int f) {
        return -Errno.ENOSYS;
    }

    @WasmExport("__syscall_accept4")
    public int accept4(int a, int b, int c, int d, int e, int f) {
        return -Errno.ENOSYS;
    }

    @WasmExport("__syscall_recvfrom")
    public int recvfrom(int a, int b, int c, int d, int e, int f) {
        return -Errno.ENOSYS;
    }

    @WasmExport("__syscall_sendto")
    public int sendto(int a, int b, int c, int d, int e, int f) {
        return -Errno.ENOSYS;
    }

    @WasmExport("__syscall_poll")
    public int poll(Memory m, int fds, int nfds, int timeout) {
        process.signals().safePoint();
        // Files, pipes and devices are always ready: report every requested event, as the glue does.
        int count = 0;
        for (int i = 0; i < nfds; i++) {
            int p = fds + 8 * i;
            int fd = m.readInt(p);
            short events = m.readShort(p + 4);
            short revents = fs().isOpen(fd) ? (short) (events & 0x5) : 0x20; // POLLIN|POLLOUT, else POLLNVAL
            m.writeShort(p + 6, revents);
            if (revents != 0) {
                count++;
            }
        }
        return count;
    }

    // ---- identity ------------------------------------------------------------------------------------

    @WasmExport("__syscall_getuid32")
    public int getuid() {
        return 0;
    }

    @WasmExport("__syscall_geteuid32")
    public int geteuid() {
        return 0;
    }

    @WasmExport("__syscall_getgid32")
    public int getgid() {
        return 0;
    }

    @WasmExport("__syscall_getegid32")
    public int getegid() {
        return 0;
    }

    @WasmExport("__syscall_umask")
    public int umaskCall(int mask) {
        int old = umask;
        umask = mask & 0777;
        fs().setUmask(umask);
        return old;
    }

    // ---- files -------------------------------------------------------------------------------------

    @WasmExport("__syscall_openat")
    public int openat(Memory m, int dirfd, int path, int flags, int varargs) {
        int mode = varargs != 0 ? m.readInt(varargs) : 0;
        return fs().openat(dirfd, str(m, path), flags, mode);
    }

    @WasmExport("__syscall_dup")
    public int dup(int fd) {
        return fs().dup(fd);
    }

    @WasmExport("__syscall_dup3")
    public int dup3(int fd, int newfd, int flags) {
        return fs().dup3(fd, newfd, flags);
    }

    @WasmExport("__syscall_fcntl64")
    public int fcntl(Memory m, int fd, int cmd, int varargs) {
        int arg = varargs != 0 ? m.readInt(varargs) : 0;
        if (cmd == 12 || cmd == 5) { // F_GETLK (64-bit and plain): report "unlocked"
            if (!fs().isOpen(fd)) {
                return -Errno.EBADF;
            }
            m.writeShort(arg, (short) 2); // F_UNLCK
            return 0;
        }
        return fs().fcntl(fd, cmd, arg);
    }

    @WasmExport("__syscall_ioctl")
    public int ioctl(int fd, int op, int varargs) {
        return fs().isOpen(fd) ? -Errno.ENOTTY : -Errno.EBADF;
    }

    @WasmExport("__syscall_fstat64")
    public int fstat(Memory m, int fd, int buf) {
        int r = fs().fstat(fd, stat);
        return r < 0 ? r : writeStat(m, buf);
    }

    @WasmExport("__syscall_stat64")
    public int stat64(Memory m, int path, int buf) {
        int r = fs().stat(AT_FDCWD, str(m, path), 0, stat);
        return r < 0 ? r : writeStat(m, buf);
    }

    @WasmExport("__syscall_lstat64")
    public int lstat64(Memory m, int path, int buf) {
        int r = fs().stat(AT_FDCWD, str(m, path), io.pglite.fs.OpenFlags.AT_SYMLINK_NOFOLLOW, stat);
        return r < 0 ? r : writeStat(m, buf);
    }

    @WasmExport("__syscall_newfstatat")
    public int newfstatat(Memory m, int dirfd, int path, int buf, int flags) {
        int r = fs().stat(dirfd, str(m, path), flags, stat);
        return r < 0 ? r : writeStat(m, buf);
    }

    private int writeStat(Memory m, int buf) {
        FileStat s = stat;
        m.writeI32(buf, (int) s.dev);
        m.writeI32(buf + 4, s.mode);
        m.writeI32(buf + 8, s.nlink);
        m.writeI32(buf + 12, s.uid);
        m.writeI32(buf + 16, s.gid);
        m.writeI32(buf + 20, (int) s.rdev);
        m.writeLong(buf + 24, s.size);
        m.writeI32(buf + 32, s.blksize);
        m.writeI32(buf + 36, (int) s.blocks);
        writeTimespec(m, buf + 40, s.atimeNs);
        writeTimespec(m, buf + 56, s.mtimeNs);
        writeTimespec(m, buf + 72, s.ctimeNs);
        m.writeLong(buf + 88, s.ino);
        return 0;
    }

    private static void writeTimespec(Memory m, int at, long ns) {
        m.writeLong(at, Math.floorDiv(ns, 1_000_000_000L));
        m.writeI32(at + 8, (int) Math.floorMod(ns, 1_000_000_000L));
        m.writeI32(at + 12, 0);
    }

    @WasmExport("__syscall_statfs64")
    public int statfs(Memory m, int path, int size, int buf) {
        StatFs s = fs().statfs(str(m, path));
        if (s == null) {
            return -Errno.ENOENT;
        }
        m.fill((byte) 0, buf, buf + 88);
        m.writeI32(buf + 4, 4096);
        m.writeLong(buf + 8, s.blocks());
        m.writeLong(buf + 16, s.freeBlocks());
        m.writeLong(buf + 24, s.freeBlocks());
        m.writeLong(buf + 32, s.files());
        m.writeLong(buf + 40, s.freeFiles());
        m.writeI32(buf + 56, 255);
        m.writeI32(buf + 60, 4096);
        return 0;
    }

    @WasmExport("__syscall_faccessat")
    public int faccessat(Memory m, int dirfd, int path, int amode, int flags) {
        return fs().faccessat(dirfd, str(m, path), amode, flags);
    }

    @WasmExport("__syscall_chdir")
    public int chdir(Memory m, int path) {
        return fs().chdir(str(m, path));
    }

    @WasmExport("__syscall_getcwd")
    public int getcwd(Memory m, int buf, int size) {
        if (size == 0) {
            return -Errno.EINVAL;
        }
        byte[] cwd = fs().getcwd().getBytes(StandardCharsets.UTF_8);
        if (size < cwd.length + 1) {
            return -68; // ERANGE
        }
        m.write(buf, cwd);
        m.writeByte(buf + cwd.length, (byte) 0);
        return cwd.length + 1;
    }

    @WasmExport("__syscall_mkdirat")
    public int mkdirat(Memory m, int dirfd, int path, int mode) {
        return fs().mkdirat(dirfd, str(m, path), mode);
    }

    @WasmExport("__syscall_unlinkat")
    public int unlinkat(Memory m, int dirfd, int path, int flags) {
        return fs().unlinkat(dirfd, str(m, path), flags);
    }

    @WasmExport("__syscall_rmdir")
    public int rmdir(Memory m, int path) {
        return fs().unlinkat(AT_FDCWD, str(m, path), io.pglite.fs.OpenFlags.AT_REMOVEDIR);
    }

    @WasmExport("__syscall_renameat")
    public int renameat(Memory m, int olddirfd, int oldpath, int newdirfd, int newpath) {
        return fs().renameat(olddirfd, str(m, oldpath), newdirfd, str(m, newpath));
    }

    @WasmExport("__syscall_readlinkat")
    public int readlinkat(Memory m, int dirfd, int path, int buf, int bufsize) {
        if (bufsize <= 0) {
            return -Errno.EINVAL;
        }
        String[] target = new String[1];
        int r = fs().readlinkat(dirfd, str(m, path), target);
        if (r < 0) {
            return r;
        }
        byte[] bytes = target[0].getBytes(StandardCharsets.UTF_8);
        int len = Math.min(bufsize, bytes.length);
        m.write(buf, bytes, 0, len);
        return len;
    }

    @WasmExport("__syscall_symlinkat")
    public int symlinkat(Memory m, int target, int dirfd, int linkpath) {
        return fs().symlinkat(str(m, target), dirfd, str(m, linkpath));
    }

    @WasmExport("__syscall_linkat")
    public int linkat(int olddirfd, int oldpath, int newdirfd, int newpath, int flags) {
        return -Errno.EPERM;
    }

    @WasmExport("__syscall_truncate64")
    public int truncate(Memory m, int path, long length) {
        return fs().truncate(str(m, path), length);
    }

    @WasmExport("__syscall_ftruncate64")
    public int ftruncate(int fd, long length) {
        return fs().ftruncate(fd, length);
    }

    @WasmExport("__syscall_fdatasync")
    public int fdatasync(int fd) {
        return fs().fsync(fd);
    }

    @WasmExport("__syscall_fadvise64")
    public int fadvise(int fd, long offset, long len, int advice) {
        return fs().isOpen(fd) ? 0 : -Errno.EBADF;
    }

    @WasmExport("__syscall_fallocate")
    public int fallocate(int fd, int mode, long offset, long len) {
        return fs().fallocate(fd, mode, offset, len);
    }

    @WasmExport("__syscall_chmod")
    public int chmod(Memory m, int path, int mode) {
        return fs().fchmodat(AT_FDCWD, str(m, path), mode, 0);
    }

    @WasmExport("__syscall_fchmod")
    public int fchmod(int fd, int mode) {
        return fs().fchmod(fd, mode);
    }

    @WasmExport("__syscall_fchmodat2")
    public int fchmodat(Memory m, int dirfd, int path, int mode, int flags) {
        return fs().fchmodat(dirfd, str(m, path), mode, flags);
    }

    @WasmExport("__syscall_fchownat")
    public int fchownat(int dirfd, int path, int owner, int group, int flags) {
        return 0;
    }

    @WasmExport("__syscall_fchown32")
    public int fchown(int fd, int owner, int group) {
        return fs().isOpen(fd) ? 0 : -Errno.EBADF;
    }

    @WasmExport("__syscall_utimensat")
    public int utimensat(Memory m, int dirfd, int path, int times, int flags) {
        long now = System.currentTimeMillis() * 1_000_000L;
        long atime = now;
        long mtime = now;
        if (times != 0) {
            atime = timespec(m, times, now);
            mtime = timespec(m, times + 16, now);
        }
        return fs().utimensat(dirfd, path == 0 ? null : str(m, path), atime, mtime, flags);
    }

    /** Reads a timespec; UTIME_NOW becomes "now", UTIME_OMIT the VFS's marker for "leave unchanged". */
    private static long timespec(Memory m, int at, long now) {
        long sec = m.readLong(at);
        int nsec = m.readInt(at + 8);
        if (nsec == 0x3FFFFFFF) {
            return now;
        }
        if (nsec == 0x3FFFFFFE) {
            return VirtualFileSystem.UTIME_OMIT;
        }
        return sec * 1_000_000_000L + nsec;
    }

    @WasmExport("__syscall_pipe2")
    public int pipe2(Memory m, int fds, int flags) {
        int[] pair = new int[2];
        int r = fs().pipe(pair);
        if (r < 0) {
            return r;
        }
        m.writeI32(fds, pair[0]);
        m.writeI32(fds + 4, pair[1]);
        return 0;
    }

    /** {@code pipe(fds)}: older Emscripten (PGlite 0.4.x) imports it besides {@code pipe2}. */
    @WasmExport("__syscall_pipe")
    public int pipe(Memory m, int fds) {
        return pipe2(m, fds, 0);
    }

    /**
     * {@code select} (PGlite 0.4.x imports it): like the glue for files, pipes and devices, every descriptor asked
     * about is ready, so the sets stay as given; the count is the number of bits set.
     */
    @WasmExport("__syscall__newselect")
    public int newselect(Memory m, int nfds, int readfds, int writefds, int exceptfds, int timeout) {
        process.signals().safePoint();
        int count = 0;
        for (int set : new int[] {readfds, writefds}) {
            if (set == 0) {
                continue;
            }
            for (int fd = 0; fd < nfds; fd++) {
                if ((m.readInt(set + 4 * (fd / 32)) & (1 << (fd % 32))) != 0) {
                    if (!fs().isOpen(fd)) {
                        return -Errno.EBADF;
                    }
                    count++;
                }
            }
        }
        if (exceptfds != 0) {
            for (int i = 0; i < (nfds + 31) / 32; i++) {
                m.writeI32(exceptfds + 4 * i, 0);
            }
        }
        return count;
    }

    @WasmExport("__syscall_getdents64")
    public int getdents64(Memory m, int fd, int dirp, int count) {
        int max = count / DIRENT_SIZE;
        if (max <= 0) {
            return -Errno.EINVAL;
        }
        List<DirEntry> entries = new ArrayList<>(max);
        long[] position = new long[1];
        int r = fs().getdents(fd, max, entries, position);
        if (r < 0) {
            return r;
        }
        int pos = 0;
        long index = position[0];
        for (DirEntry e : entries) {
            int p = dirp + pos;
            m.writeLong(p, e.ino());
            m.writeLong(p + 8, (index + 1) * DIRENT_SIZE);
            m.writeShort(p + 16, (short) DIRENT_SIZE);
            m.writeByte(p + 18, (byte) e.type());
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            int n = Math.min(name.length, 255);
            m.write(p + 19, name, 0, n);
            m.writeByte(p + 19 + n, (byte) 0);
            pos += DIRENT_SIZE;
            index++;
        }
        return pos;
    }
}

package io.pglite.fs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;

/**
 * Copy-on-write union of a writable upper layer over a read-only lower layer.
 *
 * <p>The lower layer is never modified. Lookups try the upper first and fall through to the lower. A lower file
 * is copied up the first time it is opened for writing, truncated, chmod'ed or renamed; opening it read-only
 * reads straight from the lower, so serving the read-only PostgreSQL distribution costs nothing. Copy-up first
 * recreates the missing parent directories in the upper (keeping their modes and times), then calls
 * {@link FileTreeLayer#importFile} on the upper: from a {@link MemoryLayer} lower into a {@code MemoryLayer}
 * upper this shares pages copy-on-write, so cloning a template cluster per test is cheap.
 *
 * <p>Deleting or renaming away an entry that exists in the lower records a <em>whiteout</em>: the lower entry at
 * that path and everything below it become invisible, even after something new is created there in the upper
 * (so a directory removed and recreated starts out empty). Whiteouts live in this object, not in the upper
 * layer, so they last as long as the overlay. Directory listings merge both layers minus whiteouts; the VFS
 * sorts them by name, so listings are deterministic.
 *
 * <p>Known differences from a kernel overlayfs: a descriptor opened read-only on a lower file keeps seeing the
 * lower content after another descriptor copies the file up, and inode numbers change on copy-up.
 * Renaming a directory that has lower content copies its whole merged subtree up first.
 *
 * <p>Not thread-safe (see {@link VirtualFileSystem}).
 */
public final class OverlayLayer implements FileTreeLayer {

    private final FileTreeLayer upper;
    private final FileTreeLayer lower;
    private final boolean closeLower;
    /** Paths whose lower entry (and lower subtree) is hidden. */
    private final HashSet<String> whiteouts = new HashSet<>();
    /**
     * Read-only handles on lower files, by path. A file has one identity for every process that has it open,
     * so when a write copies it up, these handles must see the upper copy from then on (as the same inode
     * would); otherwise a reader opened before the copy-up keeps reading the stale lower bytes.
     */
    private final HashMap<String, List<FollowingHandle>> lowerReaders = new HashMap<>();

    /**
     * Creates an overlay that owns both layers (closing the overlay closes them).
     *
     * @param upper writable layer receiving all modifications
     * @param lower layer shown through where the upper has nothing; never written
     */
    public OverlayLayer(FileTreeLayer upper, FileTreeLayer lower) {
        this(upper, lower, true);
    }

    /**
     * Creates an overlay.
     *
     * @param upper      writable layer receiving all modifications; closed with the overlay
     * @param lower      layer shown through where the upper has nothing; never written
     * @param closeLower whether {@link #close()} also closes the lower (pass {@code false} when one template
     *                   layer is shared by several overlays)
     */
    public OverlayLayer(FileTreeLayer upper, FileTreeLayer lower, boolean closeLower) {
        if (upper.isReadOnly()) {
            throw new IllegalArgumentException("overlay upper layer must be writable");
        }
        this.upper = upper;
        this.lower = lower;
        this.closeLower = closeLower;
    }

    /**
     * Creates an overlay that starts with recorded whiteouts (one rebuilt from a saved upper layer and the
     * whiteouts of the overlay it was saved from).
     *
     * @param upper      writable layer receiving all modifications; closed with the overlay
     * @param lower      layer shown through where the upper has nothing; never written
     * @param closeLower whether {@link #close()} also closes the lower
     * @param whiteouts  paths whose lower entry is hidden
     */
    public OverlayLayer(FileTreeLayer upper, FileTreeLayer lower, boolean closeLower, java.util.Set<String> whiteouts) {
        this(upper, lower, closeLower);
        this.whiteouts.addAll(whiteouts);
    }

    /** @return a copy of the paths whose lower entry is hidden */
    public java.util.Set<String> whiteouts() {
        return new java.util.TreeSet<>(whiteouts);
    }

    /** @return the writable upper layer */
    public FileTreeLayer upper() {
        return upper;
    }

    /** @return the read-only lower layer */
    public FileTreeLayer lower() {
        return lower;
    }

    /**
     * The layer that holds what this overlay shows at {@code path}: the upper if it has the path, else the lower
     * if the path is visible there. Lets {@link MemoryLayer#importFile} share pages with the file itself rather
     * than copy bytes through a handle.
     *
     * @param path normalized layer path
     * @return the upper, the lower, or null if the path does not exist in this overlay
     */
    FileTreeLayer layerHolding(String path) {
        FileStat st = new FileStat();
        int r = upper.lstat(path, st);
        if (r == 0) {
            return upper;
        }
        if (r == -Errno.ENOENT && lowerStat(path, st) == 0) {
            return lower;
        }
        return null;
    }

    /** @return number of recorded whiteouts (diagnostics and tests) */
    public int whiteoutCount() {
        return whiteouts.size();
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private static String child(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** Whether the lower entry at {@code path} may show through, i.e. neither it nor an ancestor is whited out. */
    private boolean lowerVisible(String path) {
        if (whiteouts.isEmpty()) {
            return true;
        }
        int from = 0;
        while (true) {
            int slash = path.indexOf('/', from);
            String prefix = slash < 0 ? path : path.substring(0, slash);
            if (whiteouts.contains(prefix)) {
                return false;
            }
            if (slash < 0) {
                return true;
            }
            from = slash + 1;
        }
    }

    /** lstat of the lower entry if visible; -ENOENT if whited out. */
    private int lowerStat(String path, FileStat out) {
        if (!lowerVisible(path)) {
            return -Errno.ENOENT;
        }
        return lower.lstat(path, out);
    }

    private void addWhiteout(String path) {
        whiteouts.add(path);
    }

    /** Drops whiteouts strictly below {@code dir}: a whiteout on {@code dir} itself already hides them. */
    private void dropWhiteoutsBelow(String dir) {
        if (whiteouts.isEmpty()) {
            return;
        }
        String prefix = dir + "/";
        for (Iterator<String> it = whiteouts.iterator(); it.hasNext(); ) {
            if (it.next().startsWith(prefix)) {
                it.remove();
            }
        }
    }

    /** Makes sure {@code dir} exists as a directory in the upper, copying up missing ancestors from the lower. */
    private int ensureUpperDir(String dir) {
        if (dir.isEmpty()) {
            return 0;
        }
        FileStat st = new FileStat();
        int r = upper.lstat(dir, st);
        if (r == 0) {
            return st.isDirectory() ? 0 : -Errno.ENOTDIR;
        }
        if (r != -Errno.ENOENT) {
            return r;
        }
        r = lowerStat(dir, st);
        if (r < 0) {
            return r;
        }
        if (!st.isDirectory()) {
            return -Errno.ENOTDIR;
        }
        r = ensureUpperDir(parentOf(dir));
        if (r < 0) {
            return r;
        }
        r = upper.mkdir(dir, st.permissions());
        if (r < 0) {
            return r;
        }
        upper.setTimes(dir, st.atimeNs, st.mtimeNs);
        return 0;
    }

    /**
     * Copies a visible lower entry (file, symlink or directory shell) into the upper at the same path.
     * Returns 0 if the upper already has it.
     */
    private int copyUp(String path) {
        FileStat st = new FileStat();
        int r = upper.lstat(path, st);
        if (r == 0) {
            return 0;
        }
        if (r != -Errno.ENOENT) {
            return r;
        }
        r = lowerStat(path, st);
        if (r < 0) {
            return r;
        }
        if (st.isDirectory()) {
            return ensureUpperDir(path);
        }
        r = ensureUpperDir(parentOf(path));
        if (r < 0) {
            return r;
        }
        if (st.isSymlink()) {
            String target = lower.readlink(path);
            return target == null ? -Errno.EIO : upper.symlink(target, path);
        }
        if (!st.isRegularFile()) {
            return -Errno.EPERM;
        }
        r = upper.importFile(path, lower, path);
        if (r == 0) {
            List<FollowingHandle> readers = lowerReaders.remove(path);
            if (readers != null) {
                for (FollowingHandle h : readers) {
                    h.switchTo(upper.open(path, false));
                }
            }
        }
        return r;
    }

    /** A read-only handle that starts on the lower file and moves to the upper copy when one is made. */
    private final class FollowingHandle implements FileHandle {
        private final String path;
        private FileHandle target;
        private boolean onLower = true;

        FollowingHandle(String path, FileHandle target) {
            this.path = path;
            this.target = target;
        }

        void switchTo(FileHandle upperHandle) {
            target.close();
            target = upperHandle;
            onLower = false;
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) {
            return target.read(position, dst, off, len);
        }

        @Override
        public int write(long position, byte[] src, int off, int len) {
            return -Errno.EBADF;
        }

        @Override
        public long size() {
            return target.size();
        }

        @Override
        public int truncate(long length) {
            return -Errno.EBADF;
        }

        @Override
        public int sync() {
            return target.sync();
        }

        @Override
        public int stat(FileStat out) {
            return target.stat(out);
        }

        @Override
        public boolean isWritable() {
            return false;
        }

        @Override
        public void close() {
            if (onLower) {
                List<FollowingHandle> readers = lowerReaders.get(path);
                if (readers != null) {
                    readers.remove(this);
                    if (readers.isEmpty()) {
                        lowerReaders.remove(path);
                    }
                }
            }
            target.close();
        }
    }

    /** Copies a directory's whole merged subtree into the upper (needed before renaming it). */
    private int materialize(String dir) {
        int r = ensureUpperDir(dir);
        if (r < 0) {
            return r;
        }
        List<DirEntry> entries = new ArrayList<>();
        r = list(dir, entries);
        if (r < 0) {
            return r;
        }
        for (DirEntry e : entries) {
            String c = child(dir, e.name());
            r = e.type() == DirEntry.DT_DIR ? materialize(c) : copyUp(c);
            if (r < 0) {
                return r;
            }
        }
        return 0;
    }

    /** EEXIST if the merged view already has {@code path}, else 0; also validates the parent chain. */
    private int checkAbsent(String path) {
        FileStat st = new FileStat();
        int r = lstat(path, st);
        if (r == 0) {
            return -Errno.EEXIST;
        }
        return r == -Errno.ENOENT ? 0 : r;
    }

    // ---- FileTreeLayer -----------------------------------------------------------------------------------

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean mayContainSymlinks() {
        return upper.mayContainSymlinks() || lower.mayContainSymlinks();
    }

    @Override
    public int lstat(String path, FileStat out) {
        int r = upper.lstat(path, out);
        if (r != -Errno.ENOENT) {
            // Found, or ENOTDIR: an upper non-directory shadows whatever the lower has below it.
            return r;
        }
        return lowerStat(path, out);
    }

    @Override
    public FileHandle open(String path, boolean writable) {
        FileStat st = new FileStat();
        int r = upper.lstat(path, st);
        if (r == 0) {
            return upper.open(path, writable);
        }
        if (r != -Errno.ENOENT) {
            throw new FsException(-r, path);
        }
        if (!lowerVisible(path)) {
            throw new FsException(Errno.ENOENT, path);
        }
        if (!writable) {
            FollowingHandle h = new FollowingHandle(path, lower.open(path, false));
            lowerReaders.computeIfAbsent(path, k -> new ArrayList<>()).add(h);
            return h;
        }
        r = copyUp(path);
        if (r < 0) {
            throw new FsException(-r, path);
        }
        return upper.open(path, true);
    }

    @Override
    public int createFile(String path, int mode) {
        int r = checkAbsent(path);
        if (r == 0) {
            r = ensureUpperDir(parentOf(path));
        }
        return r < 0 ? r : upper.createFile(path, mode);
    }

    @Override
    public int mkdir(String path, int mode) {
        if (path.isEmpty()) {
            return -Errno.EEXIST;
        }
        int r = checkAbsent(path);
        if (r == 0) {
            r = ensureUpperDir(parentOf(path));
        }
        // A whiteout on this path stays: it keeps the lower subtree hidden, so the new directory starts empty.
        return r < 0 ? r : upper.mkdir(path, mode);
    }

    @Override
    public int symlink(String target, String path) {
        int r = checkAbsent(path);
        if (r == 0) {
            r = ensureUpperDir(parentOf(path));
        }
        return r < 0 ? r : upper.symlink(target, path);
    }

    @Override
    public int unlink(String path) {
        FileStat st = new FileStat();
        int ru = upper.lstat(path, st);
        if (ru == 0) {
            if (st.isDirectory()) {
                return -Errno.EISDIR;
            }
            int r = upper.unlink(path);
            if (r < 0) {
                return r;
            }
        } else if (ru != -Errno.ENOENT) {
            return ru;
        }
        int rl = lowerStat(path, st);
        if (rl == 0) {
            if (ru != 0 && st.isDirectory()) {
                return -Errno.EISDIR;
            }
            addWhiteout(path);
            return 0;
        }
        return ru == 0 ? 0 : -Errno.ENOENT;
    }

    @Override
    public int rmdir(String path) {
        if (path.isEmpty()) {
            return -Errno.EBUSY;
        }
        FileStat st = new FileStat();
        int r = lstat(path, st);
        if (r < 0) {
            return r;
        }
        if (!st.isDirectory()) {
            return -Errno.ENOTDIR;
        }
        List<DirEntry> entries = new ArrayList<>();
        r = list(path, entries);
        if (r < 0) {
            return r;
        }
        if (!entries.isEmpty()) {
            return -Errno.ENOTEMPTY;
        }
        int ru = upper.lstat(path, st);
        if (ru == 0) {
            r = upper.rmdir(path);
            if (r < 0) {
                return r;
            }
        }
        if (lowerStat(path, st) == 0) {
            addWhiteout(path);
            dropWhiteoutsBelow(path);
        }
        return 0;
    }

    @Override
    public int rename(String from, String to) {
        FileStat st = new FileStat();
        int r = lstat(from, st);
        if (r < 0) {
            return r;
        }
        boolean fromIsDir = st.isDirectory();
        boolean lowerHadFrom = lowerStat(from, st) == 0;
        boolean lowerHadTo = lowerStat(to, st) == 0;
        if (fromIsDir) {
            // A directory without visible lower content is already complete in the upper.
            r = lowerHadFrom ? materialize(from) : 0;
        } else {
            r = copyUp(from);
        }
        if (r < 0) {
            return r;
        }
        r = ensureUpperDir(parentOf(to));
        if (r < 0) {
            return r;
        }
        r = upper.rename(from, to);
        if (r < 0) {
            return r;
        }
        if (lowerHadFrom) {
            addWhiteout(from);
            dropWhiteoutsBelow(from);
        }
        if (lowerHadTo) {
            // The moved entry is complete in the upper; nothing of the lower's old `to` may show through it.
            addWhiteout(to);
            dropWhiteoutsBelow(to);
        }
        return 0;
    }

    @Override
    public int list(String path, List<DirEntry> out) {
        FileStat st = new FileStat();
        int ru = upper.lstat(path, st);
        boolean upperDir = ru == 0 && st.isDirectory();
        if (ru == 0 && !upperDir) {
            return -Errno.ENOTDIR;
        }
        if (ru != 0 && ru != -Errno.ENOENT) {
            return ru;
        }
        int rl = lowerStat(path, st);
        boolean lowerDir = rl == 0 && st.isDirectory();
        if (!upperDir && !lowerDir) {
            return rl == 0 ? -Errno.ENOTDIR : -Errno.ENOENT;
        }
        if (!lowerDir) {
            return upper.list(path, out);
        }
        if (!upperDir) {
            if (whiteouts.isEmpty()) {
                return lower.list(path, out);
            }
            List<DirEntry> lowerEntries = new ArrayList<>();
            rl = lower.list(path, lowerEntries);
            if (rl < 0) {
                return rl;
            }
            for (DirEntry e : lowerEntries) {
                if (!whiteouts.contains(child(path, e.name()))) {
                    out.add(e);
                }
            }
            return 0;
        }
        List<DirEntry> upperEntries = new ArrayList<>();
        ru = upper.list(path, upperEntries);
        if (ru < 0) {
            return ru;
        }
        HashMap<String, DirEntry> merged = new HashMap<>();
        for (DirEntry e : upperEntries) {
            merged.put(e.name(), e);
        }
        List<DirEntry> lowerEntries = new ArrayList<>();
        rl = lower.list(path, lowerEntries);
        if (rl < 0) {
            return rl;
        }
        for (DirEntry e : lowerEntries) {
            if (!merged.containsKey(e.name()) && !whiteouts.contains(child(path, e.name()))) {
                merged.put(e.name(), e);
            }
        }
        out.addAll(merged.values());
        return 0;
    }

    @Override
    public String readlink(String path) {
        FileStat st = new FileStat();
        int r = upper.lstat(path, st);
        if (r == 0) {
            return upper.readlink(path);
        }
        if (r != -Errno.ENOENT || !lowerVisible(path)) {
            return null;
        }
        return lower.readlink(path);
    }

    @Override
    public int chmod(String path, int mode) {
        int r = copyUp(path);
        return r < 0 ? r : upper.chmod(path, mode);
    }

    @Override
    public int setTimes(String path, long atimeNs, long mtimeNs) {
        int r = copyUp(path);
        return r < 0 ? r : upper.setTimes(path, atimeNs, mtimeNs);
    }

    @Override
    public int syncDirectory(String path) {
        FileStat st = new FileStat();
        return upper.lstat(path, st) == 0 ? upper.syncDirectory(path) : 0;
    }

    @Override
    public void sync() {
        upper.sync();
    }

    @Override
    public void statfs(StatFs out) {
        upper.statfs(out);
    }

    @Override
    public void close() {
        upper.close();
        if (closeLower) {
            lower.close();
        }
    }
}

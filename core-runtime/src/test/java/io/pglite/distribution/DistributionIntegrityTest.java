package io.pglite.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistributionIntegrityTest {

    /** Resources copied from the class path into a folder for the missing/corrupt cases. */
    private static final List<String> COPIED = List.of(
            Distribution.MANIFEST,
            Distribution.DATA,
            Distribution.FILE_INDEX,
            "pglite.meta",
            "initdb.meta",
            "extensions/hstore.tar.gz");

    @TempDir
    Path root;

    @BeforeEach
    void copyDistribution() throws IOException {
        for (String name : COPIED) {
            Path target = root.resolve(name);
            Files.createDirectories(target.getParent());
            try (InputStream in = Distribution.class.getResourceAsStream("/" + Distribution.PG18_ROOT + name)) {
                assertThat(in).as("class path resource %s", name).isNotNull();
                Files.copy(in, target);
            }
        }
    }

    @Test
    void packagedDistributionPassesTheIntegrityCheck() {
        Distribution dist = Distribution.pg18();
        dist.verifyAll();
        assertThat(dist.npmVersion()).isEqualTo("0.5.16");
        assertThat(dist.postgresVersion()).isEqualTo("18.6");
        assertThat(dist.facts()).containsEntry("npm.package", "@electric-sql/pglite")
                .containsKey("npm.integrity")
                .containsEntry("chicory.version", "1.7.5");
        assertThat(dist.facts().get("postgres.versionString")).startsWith("PostgreSQL 18.6 (PGlite 0.5.16)");
        assertThat(dist.resourceNames())
                .contains("pglite.meta", "initdb.meta", "pglite.data", "pglite.data.index",
                        "PgliteMachine.class", "InitdbMachine.class", "extensions/hstore.tar.gz")
                .doesNotContain(Distribution.MANIFEST);
        assertThat(dist.extensionNames()).contains("hstore", "pg_trgm", "pgcrypto", "citext");
    }

    @Test
    void pg18IsOneCachedInstance() {
        assertThat(Distribution.pg18()).isSameAs(Distribution.pg18());
        assertThat(Distribution.pg18().data()).isEqualTo(Distribution.pg18().data());
        assertThat(Distribution.pg18().files()).isSameAs(Distribution.pg18().files());
        assertThat(Distribution.pg18().initdbModule()).isSameAs(Distribution.pg18().initdbModule());
    }

    @Test
    void copiedFolderLoadsLikeTheClassPath() throws IOException {
        Distribution dist = Distribution.pg18At(root);
        assertThat(dist.data().capacity()).isEqualTo(Distribution.pg18().data().capacity());
        assertThat(dist.files()).isEqualTo(Distribution.pg18().files());
        try (InputStream in = dist.openResource("extensions/hstore.tar.gz")) {
            assertThat(in.readAllBytes()).hasSize((int) Files.size(root.resolve("extensions/hstore.tar.gz")));
        }
        assertThat(dist.initdbModule().functionSection().functionCount()).isPositive();
    }

    @Test
    void missingDataNamesTheResource() throws IOException {
        Files.delete(root.resolve(Distribution.DATA));
        Distribution dist = Distribution.pg18At(root);
        assertThatThrownBy(dist::data)
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("pglite.data")
                .hasMessageContaining("missing")
                .satisfies(e -> assertThat(((DistributionException) e).resource()).isEqualTo("pglite.data"));
    }

    @Test
    void missingModuleNamesTheResource() throws IOException {
        Files.delete(root.resolve("pglite.meta"));
        assertThatThrownBy(Distribution.pg18At(root)::pgliteModule)
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("pglite.meta")
                .hasMessageContaining("missing");
    }

    @Test
    void missingManifestNamesTheManifest() throws IOException {
        Files.delete(root.resolve(Distribution.MANIFEST));
        Distribution dist = Distribution.pg18At(root);
        assertThatThrownBy(dist::npmVersion)
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining(Distribution.MANIFEST);
        assertThatThrownBy(dist::files)
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining(Distribution.MANIFEST);
    }

    @Test
    void missingExtensionBundleNamesTheResource() throws IOException {
        Files.delete(root.resolve("extensions/hstore.tar.gz"));
        assertThatThrownBy(() -> Distribution.pg18At(root).openResource("extensions/hstore.tar.gz"))
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("extensions/hstore.tar.gz")
                .hasMessageContaining("missing");
    }

    @Test
    void resourceNotInTheManifestIsRefused() {
        assertThatThrownBy(() -> Distribution.pg18At(root).openResource("extensions/nope.tar.gz"))
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("extensions/nope.tar.gz")
                .hasMessageContaining("not listed");
    }

    @Test
    void corruptDataNamesTheResourceAndBothHashes() throws Exception {
        Path data = root.resolve(Distribution.DATA);
        byte[] original = Files.readAllBytes(data);
        byte[] corrupt = original.clone();
        corrupt[corrupt.length / 2] ^= 0x01;
        Files.write(data, corrupt);

        assertThatThrownBy(Distribution.pg18At(root)::data)
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("pglite.data")
                .hasMessageContaining("corrupt")
                .hasMessageContaining("expected SHA-256 " + sha256(original))
                .hasMessageContaining("actual SHA-256 " + sha256(corrupt));
    }

    @Test
    void truncatedIndexNamesTheResource() throws Exception {
        Path index = root.resolve(Distribution.FILE_INDEX);
        byte[] original = Files.readAllBytes(index);
        Files.write(index, java.util.Arrays.copyOf(original, original.length - 10));
        assertThatThrownBy(Distribution.pg18At(root)::files)
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("pglite.data.index")
                .hasMessageContaining("expected SHA-256 " + sha256(original));
    }

    @Test
    void corruptModuleNamesTheResource() throws Exception {
        Path meta = root.resolve("initdb.meta");
        byte[] bytes = Files.readAllBytes(meta);
        bytes[100] ^= 0x55;
        Files.write(meta, bytes);
        assertThatThrownBy(Distribution.pg18At(root)::initdbModule)
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("initdb.meta")
                .hasMessageContaining("corrupt");
    }

    @Test
    void corruptExtensionBundleNamesTheResource() throws Exception {
        Path bundle = root.resolve("extensions/hstore.tar.gz");
        byte[] bytes = Files.readAllBytes(bundle);
        bytes[bytes.length - 1] ^= 0x7f;
        Files.write(bundle, bytes);
        assertThatThrownBy(() -> Distribution.pg18At(root).openResource("extensions/hstore.tar.gz"))
                .isInstanceOf(DistributionException.class)
                .hasMessageContaining("extensions/hstore.tar.gz")
                .hasMessageContaining("corrupt");
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}

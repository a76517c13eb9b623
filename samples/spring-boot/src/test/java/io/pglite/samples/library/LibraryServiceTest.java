package io.pglite.samples.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.cluster.PgliteCluster;
import io.pglite.junit5.PgliteTest;
import java.math.BigDecimal;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.ObjectOptimisticLockingFailureException;

/**
 * The whole application (JPA, Spring Data, the service, Spring Boot's Flyway) against PostgreSQL 18 in the
 * test JVM. {@code @PgliteTest} starts a cluster for the application context and points
 * {@code spring.datasource.*} at it; the application's own configuration does the rest. The context (and
 * its cluster) is shared by the tests of this class, so each test starts by emptying the table.
 */
@SpringBootTest
@PgliteTest(database = "library")
class LibraryServiceTest {

    @Autowired
    LibraryService library;

    @Autowired
    BookRepository books;

    @Autowired
    JdbcTemplate jdbc;

    @BeforeEach
    void emptyLibrary() {
        books.deleteAllInBatch();
    }

    @Test
    void theApplicationRunsOnPgliteWithFlywaysSchemaValidatedByHibernate(
            @Autowired DataSource dataSource, @Autowired PgliteCluster cluster, @Autowired Environment env)
            throws Exception {
        try (var c = dataSource.getConnection()) {
            // not the localhost:5432 URL of application.properties: the cluster's own
            assertThat(c.getMetaData().getURL()).isEqualTo(cluster.jdbcUrl());
        }
        assertThat(jdbc.queryForObject("SELECT current_database()", String.class)).isEqualTo("library");
        assertThat(jdbc.queryForObject("SHOW server_version", String.class)).startsWith("18.");
        // the context started, so Hibernate validated every mapped column against the migrated tables
        assertThat(env.getProperty("spring.jpa.hibernate.ddl-auto")).isEqualTo("validate");
        assertThat(jdbc.queryForList(
                "SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank", String.class))
                .containsExactly("1", "2");
    }

    @Test
    void addsAndFindsBooksThroughSpringData() {
        library.add("978-0-13-468599-1", "The Pragmatic Programmer", new BigDecimal("39.99"), List.of("craft"));
        library.add("978-0-201-63361-0", "Design Patterns", new BigDecimal("54.50"), List.of("oo", "craft"));

        Book found = books.findByIsbn("978-0-201-63361-0").orElseThrow();
        assertThat(found.getId()).isNotNull();
        assertThat(found.getTitle()).isEqualTo("Design Patterns");
        assertThat(found.getTags()).containsExactly("oo", "craft");
        assertThat(found.getAddedAt()).isNotNull(); // filled by the column's DEFAULT now()
        assertThat(books.totalValue()).isEqualByComparingTo("94.49");
        assertThat(books.findByTag("craft")).extracting(Book::getTitle)
                .containsExactly("Design Patterns", "The Pragmatic Programmer");
        assertThat(library.available()).hasSize(2);
    }

    @Test
    void lendingChangesTheRowAndCannotHappenTwice() {
        library.add("978-1-4919-5035-9", "Designing Data-Intensive Applications", new BigDecimal("45.00"), List.of());

        library.lend("978-1-4919-5035-9", "ada");

        assertThat(jdbc.queryForMap("SELECT status, lent_to, version FROM book"))
                .containsEntry("status", "LENT").containsEntry("lent_to", "ada").containsEntry("version", 1L);
        assertThatThrownBy(() -> library.lend("978-1-4919-5035-9", "grace"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already lent to ada");
        assertThat(library.available()).isEmpty();

        library.giveBack("978-1-4919-5035-9");
        assertThat(library.available()).hasSize(1);
    }

    @Test
    void aFailedBatchRollsBackEveryInsert() {
        List<Book> batch = List.of(
                new Book("978-0-00-000001-1", "First", BigDecimal.ONE, List.of()),
                new Book("978-0-00-000001-1", "Same ISBN", BigDecimal.TEN, List.of()));

        // PostgreSQL's UNIQUE constraint fails the flush; Spring rolls the whole transaction back
        assertThatThrownBy(() -> library.addAll(batch)).isInstanceOf(DataIntegrityViolationException.class);

        assertThat(books.count()).isZero();
    }

    @Test
    void aStaleCopyCannotOverwriteANewerRow() {
        Book book = library.add("978-0-262-03384-8", "Introduction to Algorithms", new BigDecimal("99.00"), List.of());
        Book stale = books.findById(book.getId()).orElseThrow();
        Book fresh = books.findById(book.getId()).orElseThrow();

        fresh.setTitle("CLRS");
        books.save(fresh);
        stale.setTitle("Algorithms");

        // UPDATE ... WHERE id = ? AND version = 0 matches no row any more
        assertThatThrownBy(() -> books.save(stale)).isInstanceOf(ObjectOptimisticLockingFailureException.class);
        assertThat(books.findById(book.getId())).get().extracting(Book::getTitle).isEqualTo("CLRS");
    }

    @Test
    void theDatabaseChecksWhatTheEntityDoesNot() {
        // CHECK (price >= 0) exists only in the migration: PostgreSQL enforces it
        assertThatThrownBy(() -> library.add("978-0-00-000002-2", "Negative", new BigDecimal("-1.00"), List.of()))
                .isInstanceOf(DataIntegrityViolationException.class);
    }
}

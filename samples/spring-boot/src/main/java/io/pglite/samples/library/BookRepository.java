package io.pglite.samples.library;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

public interface BookRepository extends JpaRepository<Book, Long> {

    Optional<Book> findByIsbn(String isbn);

    List<Book> findByStatusOrderByTitle(Book.Status status);

    @Query("select coalesce(sum(b.price), 0) from Book b")
    BigDecimal totalValue();

    // PostgreSQL's array containment operator (served by the GIN index of V2): a native query
    @Query(value = "SELECT * FROM book WHERE tags @> ARRAY[CAST(:tag AS text)] ORDER BY title", nativeQuery = true)
    List<Book> findByTag(String tag);
}

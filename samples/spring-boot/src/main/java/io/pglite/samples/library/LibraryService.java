package io.pglite.samples.library;

import java.math.BigDecimal;
import java.util.List;
import java.util.NoSuchElementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class LibraryService {
    private static final Logger LOG = LoggerFactory.getLogger(LibraryService.class);

    private final BookRepository books;

    public LibraryService(BookRepository books) {
        this.books = books;
    }

    @Transactional
    public Book add(String isbn, String title, BigDecimal price, List<String> tags) {
        Book book = books.save(new Book(isbn, title, price, tags));
        LOG.info("added {} ({})", title, isbn);
        return book;
    }

    /** Lends a book; the change is written at commit (Hibernate's dirty checking), with a version check. */
    @Transactional
    public Book lend(String isbn, String member) {
        Book book = find(isbn);
        book.lendTo(member);
        LOG.info("lent {} to {}", book.getTitle(), member);
        return book;
    }

    @Transactional
    public Book giveBack(String isbn) {
        Book book = find(isbn);
        book.giveBack();
        return book;
    }

    /**
     * Adds several books in one transaction: if one fails (a duplicate ISBN), none is kept.
     */
    @Transactional
    public List<Book> addAll(List<Book> newBooks) {
        List<Book> saved = books.saveAll(newBooks);
        books.flush(); // let PostgreSQL check the constraints now, inside this method's transaction
        return saved;
    }

    @Transactional(readOnly = true)
    public List<Book> available() {
        return books.findByStatusOrderByTitle(Book.Status.AVAILABLE);
    }

    private Book find(String isbn) {
        return books.findByIsbn(isbn).orElseThrow(() -> new NoSuchElementException("no book " + isbn));
    }
}

package io.pglite.samples.library;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A book of the library, mapped onto the table that Flyway's V1 and V2 create. */
@Entity
public class Book {

    public enum Status { AVAILABLE, LENT }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, unique = true, length = 17)
    private String isbn;

    @Column(nullable = false)
    private String title;

    @Column(nullable = false, precision = 8, scale = 2)
    private BigDecimal price;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false, length = 16)
    private Status status = Status.AVAILABLE;

    @Column(name = "lent_to")
    private String lentTo;

    // set by the database (DEFAULT now()), never written by Hibernate
    @Column(name = "added_at", nullable = false, insertable = false, updatable = false)
    private Instant addedAt;

    @JdbcTypeCode(SqlTypes.ARRAY)
    @Column(nullable = false, columnDefinition = "text[]")
    private List<String> tags = new ArrayList<>();

    // optimistic locking: a stale copy cannot overwrite a newer row
    @Version
    private long version;

    protected Book() {}

    public Book(String isbn, String title, BigDecimal price, List<String> tags) {
        this.isbn = isbn;
        this.title = title;
        this.price = price;
        this.tags = new ArrayList<>(tags);
    }

    void lendTo(String member) {
        if (status == Status.LENT) {
            throw new IllegalStateException(title + " is already lent to " + lentTo);
        }
        status = Status.LENT;
        lentTo = member;
    }

    void giveBack() {
        status = Status.AVAILABLE;
        lentTo = null;
    }

    public Long getId() { return id; }
    public String getIsbn() { return isbn; }
    public String getTitle() { return title; }
    public void setTitle(String title) { this.title = title; }
    public BigDecimal getPrice() { return price; }
    public Status getStatus() { return status; }
    public String getLentTo() { return lentTo; }
    public Instant getAddedAt() { return addedAt; }
    public List<String> getTags() { return tags; }
    public long getVersion() { return version; }
}

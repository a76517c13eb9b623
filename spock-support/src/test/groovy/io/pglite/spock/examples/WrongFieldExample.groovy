package io.pglite.spock.examples

import io.pglite.spock.PgliteResource
import io.pglite.spock.PgliteSpec
import spock.lang.Specification

/** Run by PgliteSpecExtensionSpec: a field of a type the extension cannot inject. */
@PgliteSpec
class WrongFieldExample extends Specification {
    @PgliteResource String url // a URL needs @JdbcUrl

    def "never runs"() {
        expect:
        url != null
    }
}

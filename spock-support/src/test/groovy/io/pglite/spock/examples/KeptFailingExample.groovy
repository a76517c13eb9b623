package io.pglite.spock.examples

import io.pglite.spock.PgliteSpec

/** Run by PgliteSpecExtensionSpec: FailingExample with keepFailed (its own annotation hides the inherited one). */
@PgliteSpec(initScripts = 'schema.sql', keepFailed = true)
class KeptFailingExample extends FailingExample {}

// Tests of Corpus (see docs/architecture.md).

/// The Corpus layer (see docs/architecture.md).
enum CorpusModule {}

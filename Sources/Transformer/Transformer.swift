/// The Transformer layer (see docs/architecture.md).
enum TransformerModule {}

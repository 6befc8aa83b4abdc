/// The Trainer layer (see docs/architecture.md).
enum TrainerModule {}

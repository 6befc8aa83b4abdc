/// The Curriculum layer (see docs/architecture.md).
enum CurriculumModule {}

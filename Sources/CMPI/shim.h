#ifndef DDTRAIN_CMPI_SHIM_H
#define DDTRAIN_CMPI_SHIM_H
#include <mpi.h>
#include <malloc.h>
#include <limits.h>

/* Open MPI's predefined handles are macros over incomplete globals that Swift cannot import:
   each is exposed here as a function. */
static inline MPI_Comm ddt_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype ddt_type_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype ddt_type_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype ddt_type_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype ddt_type_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype ddt_type_byte(void) { return MPI_BYTE; }
static inline MPI_Op ddt_op_sum(void) { return MPI_SUM; }
static inline MPI_Op ddt_op_max(void) { return MPI_MAX; }
static inline MPI_Op ddt_op_min(void) { return MPI_MIN; }
static inline void *ddt_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler ddt_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int ddt_success(void) { return MPI_SUCCESS; }
static inline MPI_Status *ddt_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline MPI_Status *ddt_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int ddt_any_source(void) { return MPI_ANY_SOURCE; }
static inline int ddt_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int ddt_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static inline int ddt_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int ddt_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int ddt_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

/* Open MPI 4.1 maps a fresh scratch buffer for every large allreduce; keeping freed memory in the heap
   halves a 100 MB allreduce on shared memory (see docs/swift-mpi-blas.md). */
static inline void ddt_tune_malloc(void) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
}
#endif

/* The unit tests' one assertion: count the failure, say where, go on. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int	 failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		failures++;						\
	}								\
} while (0)

#endif

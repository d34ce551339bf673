CC ?= gcc
CFLAGS ?= -std=c99 -O2 -Wall -Wextra -Wshadow -Wcast-qual -Wmissing-prototypes \
          -Wstrict-prototypes -fPIC
KERNELS = src/kernels/softmax.c src/kernels/loss.c

smx_check: tools/smx_check.c tools/smx_cases.h tools/smx_case.h $(KERNELS) src/kernels/*.h
	$(CC) $(CFLAGS) -o $@ tools/smx_check.c $(KERNELS) -lm

check-kernels: smx_check
	./smx_check

.PHONY: check-kernels

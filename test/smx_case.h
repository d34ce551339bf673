/* smx_case.h - one recorded case of tools/torch_ref.py (see smx_cases.h). */
#ifndef SMX_CASE_H
#define SMX_CASE_H

#include <stddef.h>
#include <stdint.h>

enum {
  SMX_SOFTMAX, SMX_LOG_SOFTMAX, SMX_LOGSUMEXP, SMX_HARDMAX, SMX_SOFTMAX_BW,
  SMX_LOG_SOFTMAX_BW, SMX_CE, SMX_CE_PROB, SMX_NLL, SMX_BCE
};

#define SMX_NO_IGNORE INT64_MIN

typedef struct smx_case {
  const char *name;
  int kind;
  size_t outer, n, inner;   /* family: [outer][n][inner]; losses: N, C, 1 */
  const double *x;          /* x, or g for the backwards, or logits / logp */
  const double *x2;         /* backwards: p or logp */
  const int64_t *tgt;       /* class targets (0-based) */
  const double *tprob;      /* probability targets / BCE targets */
  const double *w;          /* class weights; BCE: [C] or [N][C] */
  size_t wlen;
  const double *pw;         /* BCE pos_weight [C] */
  int64_t ignore;
  double eps;
  int red;                  /* 0 none, 1 mean, 2 sum */
  size_t out_len;
  const double *out;        /* torch: family output, or per-sample losses */
  double loss;              /* torch: reduced loss ("none": the sum) */
  const double *grad;       /* torch: dL/dz */
  int naive;                /* 1 if a naive long-double formula applies */
} smx_case;

#endif

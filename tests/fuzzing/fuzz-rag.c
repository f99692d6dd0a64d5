/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "osi-rag-validator.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Two feeds split at data[0] % size: the parser must give the same answer
 * wherever a chunk ends. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  OsiRagValidator *validator = osi_rag_validator_new ();
  size_t split = size > 0 ? data[0] % size : 0;
  char *message = NULL;

  osi_rag_validator_feed (validator, data, split);
  osi_rag_validator_feed (validator, data + split, size - split);
  osi_rag_validator_finish (validator, &message);
  g_free (message);
  osi_rag_validator_free (validator);
  return 0;
}

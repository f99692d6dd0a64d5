/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "osi-rag-validator.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Byte by byte costs a call per byte: short inputs only. */
#define BYTEWISE_MAX 65536

typedef struct
{
  gboolean      fed;       /* every feed returned TRUE */
  OsiRagStatus  status;
  char         *message;
  guint64       entries;
} Outcome;

/* chunk 0: the input whole; 1: byte by byte; otherwise chunk sizes drawn
 * from a generator seeded with `chunk`, from 1 byte to the whole rest, so
 * that chunk ends fall inside strings, escapes, numbers, literals, keys
 * and multi-byte UTF-8 sequences. */
static void
validate (const uint8_t *data,
          size_t         size,
          guint32        chunk,
          Outcome       *out)
{
  OsiRagValidator *validator = osi_rag_validator_new ();
  guint32 state = chunk | 1;
  size_t at = 0;

  out->fed = TRUE;
  while (at < size)
    {
      size_t n;

      if (chunk == 0)
        n = size;
      else if (chunk == 1)
        n = 1;
      else
        {
          state ^= state << 13;
          state ^= state >> 17;
          state ^= state << 5;
          /* Mostly short chunks, now and then the whole rest. */
          n = (state & 7) == 0 ? size - at : 1 + (state >> 8) % 97;
        }
      n = MIN (n, size - at);
      out->fed &= osi_rag_validator_feed (validator, data + at, n);
      at += n;
    }
  out->status = osi_rag_validator_finish (validator, &out->message);
  out->entries = osi_rag_validator_get_entry_count (validator);
  osi_rag_validator_free (validator);
}

/* Whether the feed returned FALSE (a problem found inside the data rather
 * than at its end), the status, the message (it names the byte offset and
 * the entry) and the entry count may not depend on where chunks end. */
static void
check_same (const Outcome *whole,
            const Outcome *split,
            const char    *how)
{
  if (whole->fed == split->fed && whole->status == split->status &&
      g_strcmp0 (whole->message, split->message) == 0 && whole->entries == split->entries)
    return;
  fprintf (stderr, "fuzz-rag: the input whole and %s disagree:\n"
           "  whole: feed %s, status %d, %" G_GUINT64_FORMAT " entries, “%s”\n"
           "  %s: feed %s, status %d, %" G_GUINT64_FORMAT " entries, “%s”\n",
           how,
           whole->fed ? "TRUE" : "FALSE", (int)whole->status, whole->entries,
           whole->message != NULL ? whole->message : "(none)",
           how, split->fed ? "TRUE" : "FALSE", (int)split->status, split->entries,
           split->message != NULL ? split->message : "(none)");
  abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Outcome whole, split, bytewise;
  guint32 seed = 2166136261u;

  /* The split follows the input (FNV-1a of its bytes): every mutation
   * tries other chunk ends, and a crash file replays the same ones. */
  for (size_t i = 0; i < size; i++)
    seed = (seed ^ data[i]) * 16777619u;
  seed = MAX (seed, 2);

  validate (data, size, 0, &whole);
  validate (data, size, seed, &split);
  check_same (&whole, &split, "split into chunks");
  if (size <= BYTEWISE_MAX)
    {
      validate (data, size, 1, &bytewise);
      check_same (&whole, &bytewise, "fed byte by byte");
      g_free (bytewise.message);
    }
  g_free (whole.message);
  g_free (split.message);
  return 0;
}

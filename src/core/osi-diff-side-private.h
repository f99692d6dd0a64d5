/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "osi-json-tokenizer.h"
#include "osi-sha256.h"
#include "osi-verify-report.h"

G_BEGIN_DECLS

/* What the files of the comparison share, and no one else:
 * osi-diff-reader.c reads a knowledge base as a stream into a Side,
 * osi-diff-side.c reads a side (a data folder or an archive) with it, and
 * osi-diff.c compares two sides. */

typedef struct
{
  guint64 lo;
  guint64 hi;
} Digest;

/* MurmurHash3's x64 128-bit construction, streaming, keyed by its seed. */
typedef struct
{
  guint64 a;
  guint64 b;
  guint64 len;
  guint8  buf[16];
  guint   nbuf;
} Hasher;

/* Values of up to SHORT_MAX bytes (most keys, many values) are their own
 * digest, bytes and length, which saves hashing them. A hashed digest
 * looks random: that it equals one of these is as unlikely as any other
 * collision. */
#define SHORT_MAX 14

static inline gboolean
digest_equal (const Digest *x,
              const Digest *y)
{
  return x->lo == y->lo && x->hi == y->hi;
}

/* ------------------------------------------------------------------------ */
/* What one side holds                                                      */

typedef struct
{
  const char *name;   /* owned by Side.names */
  Digest      digest;
} Field;

typedef struct
{
  Digest  whole;
  guint   n_fields;
  Field   fields[];   /* sorted by name */
} Entry;

typedef struct
{
  gint64 size;
  char   sha256[OSI_SHA256_HEX_LEN + 1];
} FileInfo;

typedef struct
{
  Digest key;
  Digest value;
} Member;

typedef struct
{
  Digest   key;
  Member  *members;   /* objects; kept from one object to the next */
  guint    n_members;
  guint    members_cap;
  Hasher   h;         /* arrays */
  gboolean is_object;
} Frame;

typedef struct
{
  const char   *label;       /* for messages */
  Digest        key;

  GHashTable   *entries;     /* name → Entry */
  GHashTable   *names;       /* field names, interned per side */
  GHashTable   *files;       /* path → FileInfo */
  OsiVerifyReport *report;
  GError       *error;
  GCancellable *cancellable;

  /* the reader */
  OsiJsonTokenizer tk;
  guint64       root_start;  /* offset of the root's first byte */
  gboolean      root_found;
  GArray       *frames;      /* Frame */
  guint         depth;
  Hasher        sh;          /* the string being read, once longer than SHORT_MAX */
  guint8        short_buf[SHORT_MAX];
  guint         short_len;
  gboolean      hashing;
  gboolean      in_string;   /* a string's first part was read, not its last */
  GString      *capture;     /* the root's keys and the entries' field names */
  gboolean      capturing;
  gsize         capture_cap;
  char         *entry_name;
  gboolean      entry_is_object;
  GArray       *entry_fields; /* Field */
  const char   *field_name;  /* interned in names */
} Side;

/* One side read on a thread of its own. */
typedef struct
{
  Side        side;
  const char *path;
  int         fd;      /* an archive already open, or -1 */
  gboolean    missing_is_empty;
  gboolean    ok;
  GError     *error;
} SideJob;

/* osi-diff-reader.c */
void     _osi_diff_side_init       (Side         *side,
                                    const char   *label,
                                    const Digest *key,
                                    GCancellable *cancellable);
void     _osi_diff_side_clear      (Side         *side);
void     _osi_diff_side_feed       (Side         *side,
                                    const guint8 *data,
                                    gsize         len);
void     _osi_diff_side_finish_rag (Side         *side);

/* osi-diff-side.c: reads job->side; a GThreadFunc. */
gpointer _osi_diff_side_thread     (gpointer      data);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "osi-json-tokenizer.h"
#include "osi-rag-validator.h"

G_BEGIN_DECLS

/* What the two files of the validator share, and no one else:
 * osi-rag-validator.c walks the tokens of the core's JSON tokenizer and
 * checks them against the schema of a knowledge base
 * (docs/archive-format.md §6); osi-rag-validator-messages.c writes the
 * sentences that say where a knowledge base goes wrong. */

#define MAX_DEPTH 64
/* Schema keys are short; longer keys only need to be known not to match. */
#define KEY_CAP   256
/* Enough of an entry name to recognise it in a message. */
#define NAME_CAP  200

/* Where the look-ahead that checks a value's type at its first byte
 * stands (see peek_value ()). */
typedef enum
{
  PEEK_NONE,
  /* Before the ':' after a member name, or the ',' after an element. */
  PEEK_SEPARATOR,
  /* Before the value's first byte. */
  PEEK_VALUE,
} Peek;

typedef enum
{
  T_STRING = 1 << 0,
  T_NUMBER = 1 << 1,
  T_BOOL   = 1 << 2,
  T_NULL   = 1 << 3,
  T_OBJECT = 1 << 4,
  T_ARRAY  = 1 << 5,
  T_ANY    = 0x3f,
} TypeMask;

/* What a container is in the schema; K_ANY subtrees are only parsed. */
typedef enum
{
  K_ANY,
  K_ROOT,
  K_ENTRY,
  K_DETAILS,
  K_MESSAGE,
  K_BUBBLE,
  K_BUTTON,
  K_KEYWORDS,
  K_LINKS,
  K_MESSAGES,
  K_BUBBLES,
  K_BUTTONS,
  N_KINDS
} Kind;

/* Each wrong-type message is a whole sentence so that translators never
 * have to assemble fragments. */
typedef enum
{
  TM_NONE,
  TM_ROOT_OBJECT,
  TM_ENTRY_OBJECT,
  TM_STRING,
  TM_STRING_OR_NULL,
  TM_NUMBER,
  TM_OBJECT,
  TM_ARRAY,
  TM_ARRAY_OR_STRING,
  TM_BOOL_STRING_OR_NULL,
  TM_STRING_OR_OBJECT,
} TypeMessage;

typedef struct
{
  const char *name;
  guint8      name_len;
  guint8      types;
  guint8      obj_kind;
  guint8      arr_kind;
  guint8      message;
} FieldSpec;

typedef struct
{
  /* Field name through which the container was reached, NULL for an array
   * element; with the parent's count this rebuilds the path for messages. */
  const char *name;
  guint64     count;
  guint8      kind;
  guint8      is_array;
  guint8      seen;
} Frame;

struct _OsiRagValidator
{
  OsiJsonTokenizer tk;
  guint64          entries;

  Peek             peek;
  guint8           separator;
  /* What the schema says of the value of the member just read. */
  const FieldSpec *cur_field;

  /* A member name that came in several parts. */
  gboolean         in_key;
  gboolean         key_overflow;
  guint            key_len;
  char             key[KEY_CAP];

  char             entry_name[NAME_CAP + sizeof "…"];

  guint            depth;
  Frame            frames[MAX_DEPTH];

  OsiRagStatus     status;
  char            *message;
  gboolean         finished;
};

/* Keeps the name of the entry being read, cut to NAME_CAP bytes, for the
 * messages about it. */
void _osi_rag_validator_remember_entry_name (OsiRagValidator *self,
                                             const guint8    *key,
                                             gsize            len,
                                             gboolean         cut);

/* Each sets self->status and self->message. Cold: the walk takes the
 * branches that call them at most once per knowledge base, and lays its
 * hot paths out as if they were never taken. */
#define OSI_RAG_COLD __attribute__ ((cold))
OSI_RAG_COLD
void _osi_rag_validator_set_json_error    (OsiRagValidator *self,
                                           guint64          offset,
                                           const char      *reason);
OSI_RAG_COLD
void _osi_rag_validator_set_missing_error (OsiRagValidator *self,
                                           const char      *field);
OSI_RAG_COLD
void _osi_rag_validator_set_type_error    (OsiRagValidator *self,
                                           const FieldSpec *spec);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "osi-rag-validator.h"

G_BEGIN_DECLS

/* What the two files of the validator share, and no one else:
 * osi-rag-validator.c reads the JSON as a resumable state machine over the
 * raw bytes and checks it against the schema of a knowledge base
 * (docs/archive-format.md §6); osi-rag-validator-messages.c writes the
 * sentences that say where a knowledge base goes wrong. */

#define MAX_DEPTH 64
/* Schema keys are short; longer keys only need to be known not to match. */
#define KEY_CAP   256
/* Enough of an entry name to recognise it in a message. */
#define NAME_CAP  200

typedef enum
{
  ST_VALUE,
  ST_ARRAY_FIRST,
  ST_OBJECT_FIRST,
  ST_KEY,
  ST_COLON,
  ST_AFTER_VALUE,
  ST_DONE,
  ST_STRING,
  ST_ESCAPE,
  ST_UNICODE,
  ST_NUMBER,
  ST_LITERAL,
  /* Not states: what a state's handler returns to stop the feed. */
  STEP_OUT,
  STEP_FAIL,
} State;

typedef enum
{
  N_START,
  N_MINUS,
  N_ZERO,
  N_INT,
  N_DOT,
  N_FRAC,
  N_EXP,
  N_EXP_SIGN,
  N_EXP_DIGITS,
} NumState;

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
  guint64          offset;
  guint64          entries;

  State            state;
  NumState         num_state;
  const char      *literal;
  guint            literal_pos;
  guint            u8_need;
  guint8           u8_lo;
  guint8           u8_hi;
  guint            uni_count;
  gunichar         uni_code;
  gunichar         pending_high;

  gboolean         in_key;
  gboolean         capture;
  gboolean         key_overflow;
  guint            key_len;
  char             key[KEY_CAP];

  const FieldSpec *cur_field;

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

/* Each sets self->status and self->message. Cold: the state machine takes
 * the branches that call them at most once per knowledge base, and lays its
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

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A push parser that checks, in one pass and bounded memory, that a byte
 * stream is a RAG knowledge base (docs/archive-format.md §6): valid UTF-8 JSON whose root is
 * an object of entries with the documented schema. */

typedef struct _OsiRagValidator OsiRagValidator;

typedef enum
{
  OSI_RAG_OK,
  OSI_RAG_INVALID_JSON,
  OSI_RAG_INVALID_SCHEMA,
} OsiRagStatus;

OsiRagValidator *osi_rag_validator_new             (void);
void             osi_rag_validator_free            (OsiRagValidator *self);
/* Returns FALSE once a problem has been found; later feeds are ignored. */
gboolean         osi_rag_validator_feed            (OsiRagValidator *self,
                                                    const guint8    *data,
                                                    gsize            len);
/* Ends the stream; returns the status and, on failure, a translated message
 * that names where the problem is (entry name, field, byte offset). */
OsiRagStatus     osi_rag_validator_finish          (OsiRagValidator *self,
                                                    char           **message);
guint64          osi_rag_validator_get_entry_count (OsiRagValidator *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiRagValidator, osi_rag_validator_free)

G_END_DECLS

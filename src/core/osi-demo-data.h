/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Writes a realistic OSI data directory into dir (created if missing):
 *   rag/search.json     a RAG knowledge base in the DESIGN §3 schema with
 *                       French text, about half of size_bytes;
 *   config/…json|.yaml a few configuration files;
 *   data/embeddings.bin incompressible bytes, about the other half;
 *   data/...            a few small documents.
 * The output depends only on size_bytes and seed. Files are written to a
 * temporary name and renamed. */
gboolean osi_demo_data_generate (const char    *dir,
                                 guint64        size_bytes,
                                 guint32        seed,
                                 GCancellable  *cancellable,
                                 GError       **error);

G_END_DECLS

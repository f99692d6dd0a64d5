/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Writes a realistic OSI data directory into dir (created if missing):
 *   rag/search.json     a RAG knowledge base in the docs/archive-format.md §6 schema with
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

/* Writes only a knowledge base of exactly n_entries entries (the same
 * entries, in the same layout, as the rag/search.json of
 * osi_demo_data_generate with this seed) to path, through a temporary
 * name. Entry i (from 1) is named "<topic>-NNNN" with i in NNNN. */
gboolean osi_demo_data_write_knowledge_base (const char    *path,
                                             guint          n_entries,
                                             guint32        seed,
                                             GCancellable  *cancellable,
                                             GError       **error);

/* Fills backup_dir (created if missing) with count valid backups
 * (archives as docs/archive-format.md describes, made by osi_archive_create from small generated data
 * folders; a few distinct contents, so that sizes differ, growing from the
 * oldest to the newest) named backup_YYYYMMDD_HHMMSS.tar.zst (UTC). They
 * are dated from newest backwards over several months (40 backups span
 * about five), hours to days apart at varied times of day; the file mtime
 * is the name's time, since the server dates backups by mtime. Names and
 * dates depend only on count, newest and seed. Each file is written to a
 * temporary name and renamed; an existing backup of the same name is
 * replaced. */
gboolean osi_demo_backups_populate (const char    *backup_dir,
                                    guint          count,
                                    GDateTime     *newest,
                                    guint32        seed,
                                    GCancellable  *cancellable,
                                    GError       **error);

G_END_DECLS

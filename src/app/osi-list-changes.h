/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The item at position i of a list, in whatever form the list takes. */
typedef gconstpointer (*OsiListItemAt) (gconstpointer list,
                                        guint         i);

/* Tells model's listeners in one items-changed how before (before_n
 * items) became after (after_n items): the items both hold at the head
 * and at the tail, the same pointers, are left out of the span, and
 * nothing is emitted when no item changed. */
void  osi_list_model_emit_changes (GListModel    *model,
                                   gconstpointer  before,
                                   guint          before_n,
                                   gconstpointer  after,
                                   guint          after_n,
                                   OsiListItemAt  item_at);

G_END_DECLS

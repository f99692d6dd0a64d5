/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define OSI_TYPE_SLOT (osi_slot_get_type ())

G_DECLARE_FINAL_TYPE (OsiSlot, osi_slot, OSI, SLOT, GObject)

/* One place of an OsiSlotModel: the item shown there for now. */
OsiSlot  *osi_slot_new      (void);
gpointer  osi_slot_get_item (OsiSlot  *self);
/* Notifies "item" when it changes. */
void      osi_slot_set_item (OsiSlot  *self,
                             GObject  *item);

G_END_DECLS

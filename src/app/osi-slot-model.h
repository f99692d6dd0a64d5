/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-slot.h"

G_BEGIN_DECLS

#define OSI_TYPE_SLOT_MODEL (osi_slot_model_get_type ())

G_DECLARE_FINAL_TYPE (OsiSlotModel, osi_slot_model, OSI, SLOT_MODEL, GObject)

/* The items of model, each in an OsiSlot that stays in its place while
 * the item it holds changes. */
OsiSlotModel *osi_slot_model_new (GListModel *model);

G_END_DECLS

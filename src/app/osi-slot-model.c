/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GTK 4.8's list and column views make new row widgets for every item
 * that items-changed brings in: turning a page of 25 backups, or typing a
 * letter in the search, rebuilt 25 rows of four cells (about 20 ms). This
 * model shows a page through slots instead, one per position: when the
 * page changes, the slots keep their places (so the views keep their rows
 * and focus) and only the item each holds changes, which the rows follow
 * through the slots' "item" notifications. Only a page that grows or
 * shrinks adds or removes slots, at its end. */
#define G_LOG_DOMAIN "osi-app"

#include "config.h"

#include "osi-slot-model.h"

struct _OsiSlotModel
{
  GObject     parent_instance;

  GListModel *model;
  GPtrArray  *slots;   /* one per item of model */
};

static void osi_slot_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OsiSlotModel, osi_slot_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, osi_slot_model_list_model_init))

static GType
osi_slot_model_get_item_type (GListModel *model)
{
  return OSI_TYPE_SLOT;
}

static guint
osi_slot_model_get_n_items (GListModel *model)
{
  return OSI_SLOT_MODEL (model)->slots->len;
}

static gpointer
osi_slot_model_get_item (GListModel *model,
                         guint       position)
{
  OsiSlotModel *self = OSI_SLOT_MODEL (model);

  if (position >= self->slots->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->slots, position));
}

static void
osi_slot_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = osi_slot_model_get_item_type;
  iface->get_n_items = osi_slot_model_get_n_items;
  iface->get_item = osi_slot_model_get_item;
}

static void
on_items_changed (OsiSlotModel *self,
                  guint         position,
                  guint         removed,
                  guint         added,
                  GListModel   *model)
{
  guint old_n = self->slots->len;
  guint new_n = g_list_model_get_n_items (model);
  /* Past position, every place may hold another item now (a removal
   * shifts what follows); before it, none does. */
  guint last = removed == added ? position + added : MIN (old_n, new_n);

  for (guint i = position; i < MIN (last, MIN (old_n, new_n)); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      osi_slot_set_item (g_ptr_array_index (self->slots, i), item);
    }

  if (new_n > old_n)
    {
      for (guint i = old_n; i < new_n; i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (model, i);
          OsiSlot *slot = osi_slot_new ();

          osi_slot_set_item (slot, item);
          g_ptr_array_add (self->slots, slot);
        }
      g_list_model_items_changed (G_LIST_MODEL (self), old_n, 0, new_n - old_n);
    }
  else if (new_n < old_n)
    {
      g_ptr_array_remove_range (self->slots, new_n, old_n - new_n);
      g_list_model_items_changed (G_LIST_MODEL (self), new_n, old_n - new_n, 0);
    }
}

static void
osi_slot_model_dispose (GObject *object)
{
  OsiSlotModel *self = OSI_SLOT_MODEL (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (osi_slot_model_parent_class)->dispose (object);
}

static void
osi_slot_model_finalize (GObject *object)
{
  OsiSlotModel *self = OSI_SLOT_MODEL (object);

  g_ptr_array_unref (self->slots);

  G_OBJECT_CLASS (osi_slot_model_parent_class)->finalize (object);
}

static void
osi_slot_model_class_init (OsiSlotModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_slot_model_dispose;
  object_class->finalize = osi_slot_model_finalize;
}

static void
osi_slot_model_init (OsiSlotModel *self)
{
  self->slots = g_ptr_array_new_with_free_func (g_object_unref);
}

OsiSlotModel *
osi_slot_model_new (GListModel *model)
{
  OsiSlotModel *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  self = g_object_new (OSI_TYPE_SLOT_MODEL, NULL);
  self->model = g_object_ref (model);
  g_signal_connect_object (model, "items-changed", G_CALLBACK (on_items_changed), self, G_CONNECT_SWAPPED);
  on_items_changed (self, 0, 0, g_list_model_get_n_items (model), model);
  return self;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-app"

#include "config.h"

#include "osi-slot.h"

struct _OsiSlot
{
  GObject  parent_instance;

  GObject *item;
};

G_DEFINE_FINAL_TYPE (OsiSlot, osi_slot, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
osi_slot_dispose (GObject *object)
{
  OsiSlot *self = OSI_SLOT (object);

  g_clear_object (&self->item);

  G_OBJECT_CLASS (osi_slot_parent_class)->dispose (object);
}

static void
osi_slot_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  OsiSlot *self = OSI_SLOT (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_slot_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  OsiSlot *self = OSI_SLOT (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      osi_slot_set_item (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_slot_class_init (OsiSlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_slot_dispose;
  object_class->get_property = osi_slot_get_property;
  object_class->set_property = osi_slot_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL,
                         G_TYPE_OBJECT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_slot_init (OsiSlot *self)
{
}

OsiSlot *
osi_slot_new (void)
{
  return g_object_new (OSI_TYPE_SLOT, NULL);
}

gpointer
osi_slot_get_item (OsiSlot *self)
{
  g_return_val_if_fail (OSI_IS_SLOT (self), NULL);

  return self->item;
}

void
osi_slot_set_item (OsiSlot *self,
                   GObject *item)
{
  g_return_if_fail (OSI_IS_SLOT (self));
  g_return_if_fail (item == NULL || G_IS_OBJECT (item));

  if (g_set_object (&self->item, item))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

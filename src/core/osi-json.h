/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* How deep any JSON this project reads may nest: far more than any of its
 * documents needs (a knowledge base nests about eight levels), far less
 * than what exhausts a thread's stack in json-glib's recursive parser
 * (100,000 levels crash it). */
#define OSI_JSON_MAX_DEPTH 512

/* Refuses (OSI_ERROR_INVALID_DATA) a text whose arrays and objects nest
 * deeper than max_depth, reading strings as strings. It does not check
 * the rest of the syntax. */
gboolean  osi_json_check_depth (const char  *data,
                                gsize        length,
                                guint        max_depth,
                                GError     **error);

/* The one way this project reads a JSON text into a tree: the text
 * checked first by the project's tokenizer (osi-json-tokenizer.h: RFC 8259,
 * nesting up to OSI_JSON_MAX_DEPTH, one value and nothing after it; lone
 * surrogate escapes refused), then json-glib, which alone would read more
 * ("{}{}", comments, single quotes). Returns the root, or NULL with
 * OSI_ERROR_INVALID_DATA saying where the text goes wrong. */
JsonNode *osi_json_parse       (const char  *data,
                                gsize        length,
                                GError     **error);

G_END_DECLS

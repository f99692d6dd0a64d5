/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include "osi-demo-data.h"
#include "osi-demo-data-private.h"

/* Even a tiny request gets a knowledge base worth looking at. */
#define MIN_RAG_ENTRIES 5

/* ------------------------------------------------------------------------ */
/* rag/search.json, laid out byte for byte as Python's
 * json.dump (kb, f, indent=2, ensure_ascii=False) would. */

static const Tok search_words[] = {
  T ("comment"), T ("démarche"), T ("délai"), T ("contact"), T ("formulaire"),
  T ("étudiant"), T ("université"), T ("rentrée"), T ("dossier"), T ("aide"),
  T ("date limite"), T ("horaires"), T ("tarif"), T ("justificatif"), T ("en ligne"),
};

static const Tok button_labels[] = {
  T ("En savoir plus"), T ("Accéder au formulaire"), T ("Prendre rendez-vous"),
  T ("Télécharger le guide (PDF)"), T ("Contacter le service"),
  T ("Consulter le calendrier"), T ("Voir les horaires"), T ("Faire une demande"),
  T ("Accéder à l’ENT"), T ("Poser une autre question"), T ("Plan d’accès"),
  T ("Foire aux questions"),
};

static const Tok url_pages[] = {
  T ("demarches"), T ("faq"), T ("formulaires"), T ("contacts"), T ("calendrier"),
  T ("tarifs"), T ("pieces-a-fournir"), T ("guide-pratique"), T ("actualites"),
  T ("questions-frequentes"),
};

static const Tok external_urls[] = {
  T ("https://www.etudiant.gouv.fr/fr/"), T ("https://messervices.etudiant.gouv.fr/envole/"),
  T ("https://www.crous-exemple.fr/"), T ("https://cvec.etudiant.gouv.fr/"),
  T ("https://www.service-public.fr/particuliers/vosdroits/F"),
  T ("https://www.parcoursup.fr/"), T ("https://trouvermonmaster.gouv.fr/"),
};

static void
gen_site_url (Gen *g)
{
  PUT (g->w, "https://www.univ-exemple.fr/");
  put_tok (g, &g->topic->path);
  if (rng_chance (g->rng, 70))
    {
      put_char (g->w, '/');
      put_tok (g, PICK (g->rng, url_pages));
    }
  if (rng_chance (g->rng, 30))
    {
      PUT (g->w, "?id=");
      _osi_demo_put_uint (g->w, rng_below (g->rng, 100000), 0);
    }
}

static void
gen_link (Gen *g)
{
  if (rng_chance (g->rng, 75))
    {
      gen_site_url (g);
    }
  else
    {
      const Tok *t = PICK (g->rng, external_urls);

      put_tok (g, t);
      if (t->s[t->len - 1] == 'F')
        _osi_demo_put_uint (g->w, rng_range (g->rng, 100, 35000), 0);
    }
}

static void
gen_hex (Gen   *g,
         guint  digits)
{
  static const char hex[] = "0123456789abcdef";
  guint64 v = rng_next (g->rng);

  for (guint i = 0; i < digits && i < 16; i++, v >>= 4)
    put_char (g->w, hex[v & 0xf]);
}

/* After item i of n in a JSON list: a comma unless it is the last. */
static void
put_separator (DemoWriter *w,
               guint       i,
               guint       n)
{
  if (i + 1 < n)
    put_char (w, ',');
  put_char (w, '\n');
}

/* The last member of a bubble or a button, its place from 1, and the end
 * of the object. */
static void
put_order_end (DemoWriter *w,
               guint       i,
               guint       n)
{
  PUT (w, "\",\n"
          "              \"Order\": ");
  _osi_demo_put_uint (w, i + 1, 0);
  PUT (w, "\n"
          "            }");
  put_separator (w, i, n);
}

/* A keyword of the entry's topic, percent times in a hundred, else a
 * word any student might search for. */
static void
gen_keyword (Gen     *g,
             guint32  percent)
{
  if (rng_chance (g->rng, percent))
    put_tok (g, PICK (g->rng, g->topic->keywords));
  else
    put_tok (g, PICK (g->rng, search_words));
}

static void
gen_entry_name (Gen     *g,
                guint64  number)
{
  put_tok (g, &g->topic->slug);
  put_char (g->w, '-');
  _osi_demo_put_uint (g->w, number, 4);
}

static void
gen_bubbles (Gen *g)
{
  DemoWriter *w = g->w;
  guint n = rng_range (g->rng, 1, 4);

  PUT (w, "          \"Bubbles\": [\n");
  for (guint i = 0; i < n; i++)
    {
      PUT (w, "            {\n"
              "              \"Text\": \"");
      _osi_demo_gen_bubble_text (g);
      PUT (w, "\",\n"
              "              \"Image\": \"");
      if (rng_chance (g->rng, 15))
        {
          PUT (w, "https://www.univ-exemple.fr/medias/images/");
          put_tok (g, &g->topic->slug);
          put_char (w, '-');
          _osi_demo_put_uint (w, rng_below (g->rng, 1000), 3);
          PUT (w, ".jpg");
        }
      PUT (w, "\",\n"
              "              \"Video\": \"");
      if (rng_chance (g->rng, 5))
        {
          PUT (w, "https://videos.univ-exemple.fr/video/");
          gen_hex (g, 12);
        }
      put_order_end (w, i, n);
    }
  PUT (w, "          ],\n");
}

static void
gen_buttons (Gen *g)
{
  DemoWriter *w = g->w;
  guint n = rng_below (g->rng, 4);

  if (n == 0)
    {
      PUT (w, "          \"Buttons\": [],\n");
      return;
    }

  PUT (w, "          \"Buttons\": [\n");
  for (guint i = 0; i < n; i++)
    {
      guint kind = rng_below (g->rng, 10);

      PUT (w, "            {\n"
              "              \"Label\": \"");
      if (kind == 0)
        PUT (w, "Appeler le service");
      else if (kind == 1)
        PUT (w, "Écrire au service");
      else
        put_tok (g, PICK (g->rng, button_labels));
      PUT (w, "\",\n"
              "              \"Link\": \"");
      if (kind == 0)
        {
          PUT (w, "tel:+33380");
          _osi_demo_put_uint (w, rng_below (g->rng, 1000000), 6);
        }
      else if (kind == 1)
        {
          PUT (w, "mailto:");
          _osi_demo_gen_email (g);
        }
      else
        {
          gen_link (g);
        }
      PUT (w, "\",\n"
              "              \"Type\": \"");
      if (kind == 0)
        PUT (w, "phone");
      else if (kind == 1)
        PUT (w, "email");
      else
        PUT (w, "link");
      put_order_end (w, i, n);
    }
  PUT (w, "          ],\n");
}

static void
gen_message (Gen *g)
{
  DemoWriter *w = g->w;

  PUT (w, "        {\n"
          "          \"Label\": \"");
  _osi_demo_gen_question (g);
  PUT (w, "\",\n"
          "          \"Description\": \"");
  _osi_demo_gen_sentence (g);
  PUT (w, "\",\n");
  gen_bubbles (g);
  gen_buttons (g);
  PUT (w, "          \"Actions\": [],\n"
          "          \"Cards\": [],\n");
  /* A few open questions so consumers see both shapes. */
  if (rng_chance (g->rng, 5))
    {
      PUT (w, "          \"OpenQuestion\": true,\n"
              "          \"OpenQuestionLink\": \"");
      gen_site_url (g);
      PUT (w, "\"\n");
    }
  else
    {
      PUT (w, "          \"OpenQuestion\": false,\n"
              "          \"OpenQuestionLink\": \"\"\n");
    }
  PUT (w, "        }");
}

static void
gen_entry (Gen     *g,
           guint64  number)
{
  DemoWriter *w = g->w;
  guint n;

  g->topic = _osi_demo_pick_topic (g->rng);

  PUT (w, "  \"");
  gen_entry_name (g, number);
  PUT (w, "\": {\n"
          "    \"name\": \"");
  gen_entry_name (g, number);
  PUT (w, "\",\n"
          "    \"description\": \"");
  _osi_demo_gen_sentences (g, rng_range (g->rng, 1, 3));
  PUT (w, "\",\n"
          "    \"search\": \"");
  _osi_demo_gen_question (g);
  n = rng_range (g->rng, 2, 6);
  for (guint i = 0; i < n; i++)
    {
      put_char (w, ' ');
      gen_keyword (g, 60);
    }
  PUT (w, "\",\n"
          "    \"keywords\": [\n");
  n = rng_range (g->rng, 2, 6);
  for (guint i = 0; i < n; i++)
    {
      PUT (w, "      \"");
      gen_keyword (g, 75);
      put_char (w, '"');
      put_separator (w, i, n);
    }
  PUT (w, "    ],\n"
          "    \"links\": [\n");
  n = rng_range (g->rng, 1, 3);
  for (guint i = 0; i < n; i++)
    {
      PUT (w, "      \"");
      gen_link (g);
      put_char (w, '"');
      put_separator (w, i, n);
    }
  PUT (w, "    ],\n"
          "    \"details\": {\n"
          "      \"Name\": \"");
  gen_entry_name (g, number);
  PUT (w, "\",\n"
          "      \"Label\": \"");
  put_tok (g, &g->topic->label);
  PUT (w, "\",\n"
          "      \"Messages\": [\n");
  n = rng_range (g->rng, 1, 3);
  for (guint i = 0; i < n; i++)
    {
      gen_message (g);
      put_separator (w, i, n);
    }
  PUT (w, "      ]\n"
          "    }\n"
          "  }");
}

/* target bytes, or exactly n_entries when that is not 0. */
gboolean
_osi_demo_write_search_json (const char    *path,
                             guint64        target,
                             guint64        n_entries,
                             guint32        seed,
                             guint64       *total,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_auto(DemoWriter) w = DEMO_WRITER_INIT;
  DemoRng rng;
  Gen g = { &w, &rng, TRUE, &_osi_demo_topics[0] };

  if (!_osi_demo_writer_open (&w, path, cancellable, error))
    return FALSE;

  _osi_demo_rng_init (&rng, seed, STREAM_RAG);

  PUT (&w, "{\n");
  for (guint64 i = 0; w.error == NULL; i++)
    {
      if (i > 0)
        PUT (&w, ",\n");
      gen_entry (&g, i + 1);

      /* Stop at the first entry that reaches the target, counting the
       * closing brace. */
      if (n_entries > 0 ? i + 1 >= n_entries
                        : i + 1 >= MIN_RAG_ENTRIES && demo_writer_size (&w) + 2 >= target)
        break;
    }
  PUT (&w, "\n}");

  return _osi_demo_writer_commit (&w, total, error);
}

gboolean
osi_demo_data_write_knowledge_base (const char    *path,
                                    guint          n_entries,
                                    guint32        seed,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_entries > 0, FALSE);
  g_return_val_if_fail (!error || !*error, FALSE);

  return _osi_demo_write_search_json (path, 0, n_entries, seed, NULL, cancellable, error);
}

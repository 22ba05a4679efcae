/*
 * waav: OpenAI's voices.  OpenAI has no endpoint that lists them: this is
 * the list its speech API documents (WaaV's OpenAIVoice::all() and the two
 * voices added since).  Every voice speaks every language it supports.
 */

#include "waav_voices.h"


#define waav_openai_voice(id, name)                                          \
    { waav_str_lit(id), waav_str_lit(""), waav_str_lit(name),                \
      waav_str_lit("Unknown"), waav_str_lit("Unknown"),                      \
      waav_str_lit("Multilingual") }


static const waav_voice_t  waav_openai_voices[] = {
    waav_openai_voice("alloy", "Alloy"),
    waav_openai_voice("ash", "Ash"),
    waav_openai_voice("ballad", "Ballad"),
    waav_openai_voice("coral", "Coral"),
    waav_openai_voice("echo", "Echo"),
    waav_openai_voice("fable", "Fable"),
    waav_openai_voice("onyx", "Onyx"),
    waav_openai_voice("nova", "Nova"),
    waav_openai_voice("sage", "Sage"),
    waav_openai_voice("shimmer", "Shimmer"),
    waav_openai_voice("verse", "Verse"),
    waav_openai_voice("marin", "Marin"),
    waav_openai_voice("cedar", "Cedar"),
};


const waav_voices_adapter_t  waav_voices_openai = {
    .fixed = waav_openai_voices,
    .nfixed = sizeof(waav_openai_voices) / sizeof(waav_openai_voices[0]),
};

// Debian's libxml2 headers pull in ICU when LIBXML_ICU_ENABLED is set, which clashes with the ICU
// that Foundation carries ('UErrorCode' has different definitions). Nothing here needs libxml2's
// ICU types, so switch them off before any other libxml2 header is read.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "zerial/zerial.h"

unsigned zr_version_number(void) { return ZR_VERSION_NUMBER; }
const char *zr_version_string(void) { return ZR_VERSION_STRING; }

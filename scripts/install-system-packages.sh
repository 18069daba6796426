#!/usr/bin/env bash
# Installs the Debian packages the real-client tests use (and, with --bench, what the
# benchmarks compare against), when missing. Idempotent: does nothing when all are there.
set -euo pipefail

declare -A PROGRAM_PACKAGE=(
  [pdftotext]=poppler-utils
  [qpdf]=qpdf
  [soffice]=libreoffice-writer-nogui
  # The review-site test drives /usr/bin/chromium with Playwright (no browser download).
  [chromium]=chromium
  # fc-list and fc-match tell the PDF build which characters the template's fonts have.
  [fc-list]=fontconfig
  # The conformance tests: the Open XML SDK's validator runs under Node (npm installs it
  # into tools/ooxml-validate), Apache PDFBox Preflight under Java.
  [node]=nodejs
  [npm]=npm
  [java]=default-jre-headless
)
if [ "${1:-}" = "--bench" ]; then
  PROGRAM_PACKAGE[pandoc]=pandoc
fi
missing=()
for program in "${!PROGRAM_PACKAGE[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${PROGRAM_PACKAGE[$program]}")
done
# Faster font subsetting for WeasyPrint, and the fonts the templates name.
dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || missing+=(libharfbuzz-subset0)
dpkg -s fonts-liberation2 >/dev/null 2>&1 || missing+=(fonts-liberation2)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
# The bundled template's fallback chain: Hebrew, Arabic, Devanagari and Thai (core), and
# Chinese, Japanese and Korean (cjk), so that names in those scripts print.
dpkg -s fonts-noto-core >/dev/null 2>&1 || missing+=(fonts-noto-core)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
# PDFBox Preflight, and the javax.activation and JAXB classes it needs that Java 17
# no longer ships.
for package in libpdfbox2-java libactivation-java libjaxb-api-java; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
# WeasyPrint's own libraries.
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (install them as root with apt-get)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

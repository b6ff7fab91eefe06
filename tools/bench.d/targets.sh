# SPDX-License-Identifier: BSD-3-Clause
# Placeholder replaced below.

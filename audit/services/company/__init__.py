"""The company the audits are about: regions and stores (`organisation`) and their CSV
import (`store_import`), the brand on every page and report (`branding`), and the owners'
activity trail of every change (`activity`)."""

"""imsrecon: reconcile the GST portal's Invoice Management System with your purchase register."""

__version__ = "0.1.0"

"""hotline.core"""

"""hotline.cli"""

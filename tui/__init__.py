"""hotline.tui"""

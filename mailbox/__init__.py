"""hotline.mailbox"""
